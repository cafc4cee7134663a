import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service instance (not prom-client's global), so tests can run several. */
export interface Metrics {
  registry: Registry;
  webhooks: Counter<'platform' | 'outcome'>;
  sends: Counter<'channel' | 'outcome'>;
  handlerSeconds: Histogram<'platform'>;
  outboxDepth: Gauge<'state'>;
  alerts: Counter<'robot' | 'outcome'>;
  alertsOpen: Gauge<'state'>;
  messages: Counter<'shop' | 'outcome'>;
  desk: Counter<'shop' | 'action'>;
  withPerson: Gauge<'shop'>;
}

/** Read at each scrape. */
export interface MetricSources {
  outboxCounts(): Promise<Record<string, number>>;
  /** Alerts not delivered: pending (being tried) and failed (given up; staff never saw them). */
  openAlertCounts(): Promise<Record<string, number>>;
  /** Conversations a person has now (the bot silent in them), by shop. */
  withPersonCounts(): Promise<Record<string, number>>;
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'xiaoer_' });
  return {
    registry,
    webhooks: new Counter({
      name: 'xiaoer_webhooks_total', help: 'Webhook requests by platform and outcome',
      labelNames: ['platform', 'outcome'], registers: [registry],
    }),
    sends: new Counter({
      name: 'xiaoer_sends_total', help: 'Outbox send attempts by channel and outcome (sent, retry, dead)',
      labelNames: ['channel', 'outcome'], registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'xiaoer_webhook_handler_seconds', help: 'Time from request to ack, including the durable commit',
      labelNames: ['platform'], registers: [registry],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    }),
    alerts: new Counter({
      name: 'xiaoer_alerts_total', help: 'Staff alert deliveries by robot (wecom, feishu) and outcome (sent, failed, deferred)',
      labelNames: ['robot', 'outcome'], registers: [registry],
    }),
    outboxDepth: stateGauge(registry, 'xiaoer_outbox_messages', 'Outbox rows by state (pending, sending, sent, dead, skipped)', sources.outboxCounts),
    messages: new Counter({
      name: 'xiaoer_messages_total',
      help: 'Customer messages by shop and what the bot did: answered (a rule), fallback (not understood), handoff (to a person now), silent (a person has it), no_reply, duplicate',
      labelNames: ['shop', 'outcome'], registers: [registry],
    }),
    desk: new Counter({
      name: 'xiaoer_desk_actions_total', help: 'What staff did at the desk, by shop: reply, take, release',
      labelNames: ['shop', 'action'], registers: [registry],
    }),
    withPerson: new Gauge({
      name: 'xiaoer_conversations_with_person', help: 'Conversations handed to a person and not yet given back or timed out, by shop (customers waiting on staff)',
      labelNames: ['shop'], registers: [registry],
      async collect() {
        this.reset(); // shops taken out of the config disappear
        for (const [shop, n] of Object.entries(await sources.withPersonCounts())) this.set({ shop }, n);
      },
    }),
    alertsOpen: stateGauge(registry, 'xiaoer_alerts_undelivered',
      'Staff alerts not delivered, by state (pending: still being tried; failed: given up, see xiaoer alerts list)', sources.openAlertCounts),
  };
}

/** A gauge of rows by state, counted from the database at each scrape. */
function stateGauge(registry: Registry, name: string, help: string, counts: () => Promise<Record<string, number>>): Gauge<'state'> {
  return new Gauge({
    name, help, labelNames: ['state'], registers: [registry],
    async collect() {
      for (const [state, n] of Object.entries(await counts())) this.set({ state }, n);
    },
  });
}
