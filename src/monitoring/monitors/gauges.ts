import { Gauge, type Registry } from 'prom-client';
import type { AlertService } from '../alerts/service.js';
import type { MonitorService } from './service.js';

/**
 * Monitoring as Prometheus gauges on `ciclo server`'s `/metrics`, read from the store at each scrape (so a run
 * made by `ciclo monitor run` in another process shows too): `ciclo_monitor_value` is every value of each
 * monitor's latest successful run (a null value is left out), `ciclo_alert_firing` is 1 for a FIRING rule, 0
 * for an OK one.
 */
export function registerMonitoringGauges(registry: Registry, monitors: MonitorService, alerts: AlertService): void {
  new Gauge({
    name: 'ciclo_monitor_value',
    help: "A monitor's latest value of a metric (drift, data quality, model quality, custom), by feature and segment",
    labelNames: ['monitor', 'deployment', 'metric', 'feature', 'segment'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const latest of await monitors.latestValues()) {
        for (const metric of latest.metrics) {
          if (metric.value === null) continue;
          const labels = {
            monitor: latest.monitor,
            deployment: latest.deployment,
            metric: metric.metric,
            feature: metric.feature ?? '',
            segment: metric.segment ?? '',
          };
          this.set(labels, metric.value);
        }
      }
    },
  });
  new Gauge({
    name: 'ciclo_alert_firing',
    help: 'An alert rule: 1 while FIRING, 0 while OK',
    labelNames: ['monitor', 'rule', 'severity'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of await alerts.list()) {
        this.set(
          { monitor: state.monitor, rule: state.rule, severity: state.severity },
          state.state === 'FIRING' ? 1 : 0,
        );
      }
    },
  });
}
