package io.switchboard.gateway.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's Prometheus series, one set per JVM (all gateway nodes add to it), all named
 * {@code switchboard_*}:
 * <ul>
 *   <li>{@code switchboard_sessions_open{service}}: live sessions</li>
 *   <li>{@code switchboard_frames_in_total{service}}, {@code switchboard_bytes_in_total{service}}: client messages and their bytes</li>
 *   <li>{@code switchboard_frames_out_total{service}}, {@code switchboard_bytes_out_total{service}}: messages written to clients
 *       (bytes: binary bytes, text characters)</li>
 *   <li>{@code switchboard_fanout_deliveries_total}: group messages written to members</li>
 *   <li>{@code switchboard_bus_failures_total{reason}}: opens the bus could not deliver (NO_HANDLERS, TIMEOUT, ...)</li>
 *   <li>{@code switchboard_closes_total{code}}: sessions ended, by close code</li>
 * </ul>
 * When the launcher enabled Vert.x's own Micrometer metrics, the same registry also holds the
 * {@code vertx_*} series.
 */
public final class GatewayMetrics implements Shareable {

  /** The meters of one service, looked up once per session. */
  public static final class ServiceMeters {
    final AtomicInteger open;
    final Counter framesIn;
    final Counter bytesIn;
    final Counter framesOut;
    final Counter bytesOut;

    private ServiceMeters(MeterRegistry registry, String service) {
      Tags tags = Tags.of("service", service);
      open = registry.gauge("switchboard.sessions.open", tags, new AtomicInteger());
      framesIn = registry.counter("switchboard.frames.in", tags);
      bytesIn = registry.counter("switchboard.bytes.in", tags);
      framesOut = registry.counter("switchboard.frames.out", tags);
      bytesOut = registry.counter("switchboard.bytes.out", tags);
    }
  }

  private final PrometheusMeterRegistry registry;
  private final ConcurrentHashMap<String, ServiceMeters> services = new ConcurrentHashMap<>();
  private final Counter fanout;

  private GatewayMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    this.fanout = registry.counter("switchboard.fanout.deliveries");
  }

  /** The JVM's gateway metrics, in Vert.x's Prometheus registry when there is one. */
  public static GatewayMetrics of(Vertx vertx) {
    return (GatewayMetrics) vertx.sharedData().getLocalMap("switchboard.gateway")
      .computeIfAbsent("metrics", k -> new GatewayMetrics(createRegistry()));
  }

  private static PrometheusMeterRegistry createRegistry() {
    try {
      MeterRegistry vertxRegistry = BackendRegistries.getDefaultNow();
      if (vertxRegistry instanceof PrometheusMeterRegistry) {
        return (PrometheusMeterRegistry) vertxRegistry;
      }
    } catch (RuntimeException e) {
      // Vert.x metrics are off: Switchboard's own registry below
    }
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  ServiceMeters service(String name) {
    return services.computeIfAbsent(name, n -> new ServiceMeters(registry, n));
  }

  void fanout(int deliveries) {
    fanout.increment(deliveries);
  }

  void busFailure(String reason) {
    registry.counter("switchboard.bus.failures", "reason", reason).increment();
  }

  void closed(int code) {
    registry.counter("switchboard.closes", "code", Integer.toString(code)).increment();
  }
}
