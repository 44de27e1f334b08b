import { openSqliteDirectoryStore } from '../../relay/directory/index.js';
import { directoryStoreContract } from './store-contract.js';

directoryStoreContract({
  kind: 'sqlite',
  create: async () => {
    const store = openSqliteDirectoryStore(':memory:');
    await store.migrate();
    return store;
  },
});
