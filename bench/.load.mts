import { measureLogBatchRoute } from './tracking/log-batch.js';
console.log('points/s', await measureLogBatchRoute(process.argv[2]!));
