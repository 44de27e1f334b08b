import { openSqliteDirectoryStore } from '../../relay/directory/index.js';
import { fhirRoutesSuite } from './fhir-routes-suite.js';

fhirRoutesSuite('sqlite', async () => openSqliteDirectoryStore(':memory:'));
