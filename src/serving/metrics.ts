import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What serving reports to Prometheus (prom-client), one registry per process: scoring requests,
 * errors and latency per deployment, model version and protocol; batch sizes; model load time;
 * capture drops. `ciclo serve` labels its one model's series with deployment="" (no deployment).
 * The servers add their HTTP series (`ciclo_http_*`) to the same registry, so one scrape reads all.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'deployment' | 'model' | 'version' | 'protocol' | 'status'>;
  readonly latency: Histogram<'deployment' | 'model' | 'version' | 'protocol'>;
  readonly batchRows: Histogram<'deployment' | 'model' | 'version'>;
  readonly loadSeconds: Gauge<'deployment' | 'model' | 'version' | 'runtime'>;
  readonly captureDrops: Counter<'deployment'>;
  readonly unknownFeedback: Counter<'deployment'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ciclo_' });
    this.requests = new Counter({
      name: 'ciclo_serving_requests_total',
      help: 'Scoring requests answered, by status code (4xx: the request was refused; 5xx: the model failed).',
      labelNames: ['deployment', 'model', 'version', 'protocol', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'ciclo_serving_request_duration_seconds',
      help: 'Time from a scoring request read to its answer sent, in seconds.',
      labelNames: ['deployment', 'model', 'version', 'protocol'],
      // From sub-millisecond (one row through onnxruntime) to seconds (a cold python worker).
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.batchRows = new Histogram({
      name: 'ciclo_serving_batch_rows',
      help: 'Rows per call to the model runtime (adaptive batching joins concurrent requests).',
      labelNames: ['deployment', 'model', 'version'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.loadSeconds = new Gauge({
      name: 'ciclo_serving_model_load_seconds',
      help: 'How long the runtime took to load the model version, in seconds.',
      labelNames: ['deployment', 'model', 'version', 'runtime'],
      registers,
    });
    this.unknownFeedback = new Counter({
      name: 'ciclo_serving_feedback_unknown_total',
      help: 'Feedback refused (404) because it named a request that no capture holds.',
      labelNames: ['deployment'],
      registers,
    });
    this.captureDrops = new Counter({
      name: 'ciclo_serving_capture_dropped_total',
      help: 'Captured request/response records dropped because the capture queue was full.',
      labelNames: ['deployment'],
      registers,
    });
  }
}
