'use strict';
// better-sqlite3 12 aborts Node 24 processes whenever V8 collects a Statement or Database outside
// a JS context (Node 24's node::ObjectWrap destructor; README.md). 13 is built on Node-API and
// does not, but it needs Node-API 10, which Node 20 lacks (it crashes there). So: 13 where the
// runtime has Node-API 10, 12 (compiled from source at install) where it does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, like both packages it chooses between
module.exports = Number(process.versions.napi) >= 10 ? require('better-sqlite3-13') : require('better-sqlite3-12');
