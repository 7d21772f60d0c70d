import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import cluster from 'node:cluster';
import type { EventEmitter } from 'node:events';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { answerMetricsCollection, askSupervisorForMetrics } from '../cluster/worker-channel.js';
import { AppConfig } from '../config/configuration.js';
import { HttpMetrics } from './http-metrics.js';

/**
 * This process's Prometheus registry: HTTP requests, session store operations and the process
 * metrics prom-client collects. Records only when metrics are on (METRICS_TOKEN or METRICS_PORT);
 * in a cluster worker, answers the supervisor's collections and asks it for the sum.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly registry = new Registry();
  private readonly sessionStore = new Histogram({
    name: 'session_store_duration_seconds',
    help: 'Time a session store operation took, by operation',
    labelNames: ['operation'],
    // Store reads take tens of microseconds on SQLite, milliseconds over a network.
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly stops: Array<() => void> = [];
  /** A cluster sum under way; scrapes arriving meanwhile share it. */
  private summing?: Promise<string>;

  constructor(
    private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  get enabled(): boolean {
    return this.config.metrics !== undefined;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    collectDefaultMetrics({ register: this.registry });
    const http = new HttpMetrics(this.registry);
    this.stops.push(http.attach(this.adapterHost.httpAdapter.getHttpServer() as EventEmitter));
    if (cluster.isWorker) this.stops.push(answerMetricsCollection(() => this.registry.getMetricsAsJSON()));
  }

  /** After the server has closed: a draining worker still answers collections for its last requests. */
  onApplicationShutdown(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Where the session store times its operations (label `operation`); undefined when metrics are off. */
  get sessionStoreTimings(): Histogram<'operation'> | undefined {
    return this.enabled ? this.sessionStore : undefined;
  }

  /** Prometheus text: this process's metrics, or in a cluster worker every worker's summed. */
  text(): Promise<string> {
    if (!cluster.isWorker) return this.registry.metrics();
    this.summing ??= askSupervisorForMetrics().finally(() => (this.summing = undefined));
    return this.summing;
  }
}
