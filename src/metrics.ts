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
  longestWait: Gauge<'shop'>;
  retained: Counter<'table'>;
}

/** Read at each scrape. */
export interface MetricSources {
  outboxCounts(): Promise<Record<string, number>>;
  /** Alerts not delivered: pending (being tried) and failed (given up; staff never saw them). */
  openAlertCounts(): Promise<Record<string, number>>;
  /** Conversations a person has now (the bot silent in them), by shop. */
  withPersonCounts(): Promise<Record<string, number>>;
  /** By shop, seconds the customer waiting longest for a person's answer has waited (0: nobody waits). */
  longestWaitSeconds(): Promise<Record<string, number>>;
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
    outboxDepth: countGauge(registry, 'xiaoer_outbox_messages', 'Outbox rows by state (pending, sending, sent, dead, skipped)', 'state', sources.outboxCounts),
    messages: new Counter({
      name: 'xiaoer_messages_total',
      help: 'Customer messages by shop and what the bot did: answered (a rule), guessed (a rule, the intent taken from likeness to examples: fallback.suggest.answerAbove), fallback (not understood), misread (the customer said the last answer missed: 答非所问), handoff (to a person now), silent (a person has it), waiting (a person has it, not answered yet: the shop’s 请稍等), no_reply, duplicate',
      labelNames: ['shop', 'outcome'], registers: [registry],
    }),
    desk: new Counter({
      name: 'xiaoer_desk_actions_total', help: 'What staff did at the desk, by shop: reply, take, release, teach',
      labelNames: ['shop', 'action'], registers: [registry],
    }),
    retained: new Counter({
      name: 'xiaoer_retention_deleted_total', help: 'Rows removed for being older than retention.days, by table (messages, replies, alerts, follow_ups)',
      labelNames: ['table'], registers: [registry],
    }),
    withPerson: countGauge(registry, 'xiaoer_conversations_with_person',
      'Conversations handed to a person and not yet given back or timed out, by shop (customers waiting on staff)', 'shop', sources.withPersonCounts),
    longestWait: countGauge(registry, 'xiaoer_customer_longest_wait_seconds',
      'By shop, how long the customer waiting longest for a person has waited, in seconds (handed over, no staff reply since); 0 when nobody waits. Alert on it, e.g. > 600',
      'shop', sources.longestWaitSeconds),
    alertsOpen: countGauge(registry, 'xiaoer_alerts_undelivered',
      'Staff alerts not delivered, by state (pending: still being tried; failed: given up, see xiaoer alerts list)', 'state', sources.openAlertCounts),
  };
}

/**
 * A gauge of row counts by one label, read from the database at each scrape. The counts are
 * read first and then replace the previous ones in one step: a label no longer counted (a shop
 * no longer waiting on anyone) disappears instead of keeping its last value, and a scrape
 * running alongside never sees the gauge half emptied.
 */
function countGauge<L extends string>(registry: Registry, name: string, help: string, label: L, counts: () => Promise<Record<string, number>>): Gauge<L> {
  return new Gauge<L>({
    name, help, labelNames: [label], registers: [registry],
    async collect() {
      const now = await counts();
      this.reset();
      for (const [value, n] of Object.entries(now)) this.set({ [label]: value } as Partial<Record<L, string>>, n);
    },
  });
}
