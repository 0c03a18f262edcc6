package io.switchboard.gateway.impl;

import io.switchboard.protocol.CloseCodes;
import io.switchboard.registry.Announce;
import io.switchboard.registry.Directory;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The life of a gateway node's sessions: accept an upgraded socket, bind it to a service
 * instance (balanced, sticky), relay its frames, and handle the instance going away (rebind or
 * close 1012, as the service declared). Confined to the node's event loop.
 */
public final class SessionManager {

  private static final System.Logger LOG = System.getLogger(SessionManager.class.getName());
  private static final int MAX_REASON_BYTES = 123;
  /** How many instances an open tries before giving up on a service. */
  private static final int OPEN_ATTEMPTS = 3;

  private final String nodeId;
  private final SessionRegistry registry;
  private final Directory directory;
  private final ServiceRelay relay;
  /** Sessions this node has bound to each instance: the balancing weight. */
  private final Map<String, Integer> boundCount = new HashMap<>();
  private long nextId;
  private int roundRobin;

  public SessionManager(EventBus bus, String nodeId, String nodeAddress, long openTimeoutMs,
                        SessionRegistry registry, Directory directory) {
    this.nodeId = nodeId;
    this.registry = registry;
    this.directory = directory;
    this.relay = new ServiceRelay(bus, nodeAddress, openTimeoutMs);
  }

  /** Takes over an upgraded socket for {@code service}. */
  public void accept(ServerWebSocket ws, String service, JsonObject info) {
    ws.pause(); // frames wait in the socket until an instance accepted the session
    GatewaySession session = new GatewaySession(nodeId + "." + Long.toString(nextId++, 36), service, ws, info);
    registry.add(session);
    ws.textMessageHandler(text -> relay(session, text));
    ws.binaryMessageHandler(data -> relay(session, data));
    ws.exceptionHandler(err -> LOG.log(System.Logger.Level.DEBUG, "Session " + session.id + ": " + err.getMessage()));
    ws.closeHandler(v -> onSocketClosed(session));
    open(session, false, new HashSet<>());
  }

  /** An instance stopped heartbeating: handle each of its sessions as its service declared. */
  public void instanceLost(Directory.Entry instance) {
    boolean rebind = Announce.FAILOVER_REBIND.equals(instance.failover());
    int handled = 0;
    for (GatewaySession session : boundTo(instance.address())) {
      moveOff(session, rebind, "Service instance lost");
      handled++;
    }
    if (handled > 0) {
      LOG.log(System.Logger.Level.INFO, (rebind ? "Rebinding " : "Closing ") + handled + " session(s) of lost instance "
        + instance.address());
    }
  }

  /** A draining instance hands its sessions back. */
  public void drain(String instance, List<String> sessionIds, boolean rebind) {
    directory.forget(instance);
    for (String id : sessionIds) {
      GatewaySession session = registry.get(id);
      if (session != null && !session.closed && instance.equals(session.instance)) {
        moveOff(session, rebind, "Service instance is restarting");
      }
    }
  }

  /** Sessions this node has bound to each instance. */
  public Map<String, Integer> boundCounts() {
    return boundCount;
  }

  private void relay(GatewaySession session, Object message) {
    if (!session.isBound()) {
      session.pending.add(message); // rare: a frame already read when the socket was paused
    } else if (message instanceof String) {
      relay.text(session, (String) message);
    } else {
      relay.binary(session, (Buffer) message);
    }
  }

  private void open(GatewaySession session, boolean rebind, Set<String> tried) {
    String target = pick(session.service, tried);
    String address = target != null ? target : io.switchboard.protocol.Addresses.service(session.service);
    relay.open(session, address, rebind).onComplete(ar -> {
      if (ar.succeeded()) {
        bind(session, ar.result());
      } else if (session.closed) {
        return;
      } else if (target != null && noHandlers(ar.cause()) && tried.size() + 1 < OPEN_ATTEMPTS) {
        tried.add(target); // it died just now: try another instance
        open(session, rebind, tried);
      } else {
        refuse(session, ar.cause(), rebind);
      }
    });
  }

  /** The live instance with the fewest sessions from this node, round-robin among equals. */
  private String pick(String service, Set<String> exclude) {
    List<Directory.Entry> instances = directory.instances(service);
    int n = instances.size();
    if (n == 0) {
      return null;
    }
    String best = null;
    int bestCount = Integer.MAX_VALUE;
    int start = roundRobin++ % n;
    for (int i = 0; i < n; i++) {
      String address = instances.get((start + i) % n).address();
      int count = boundCount.getOrDefault(address, 0);
      if (!exclude.contains(address) && count < bestCount) {
        best = address;
        bestCount = count;
      }
    }
    return best;
  }

  private void bind(GatewaySession session, String instance) {
    session.instance = instance;
    boundCount.merge(instance, 1, Integer::sum);
    if (session.closed) {
      relay.close(session, closeCode(session.ws), session.ws.closeReason());
      unbind(session);
      return;
    }
    Object m;
    while ((m = session.pending.poll()) != null) {
      relay(session, m);
    }
    session.ws.resume();
  }

  private void unbind(GatewaySession session) {
    if (session.instance != null) {
      boundCount.computeIfPresent(session.instance, (k, c) -> c <= 1 ? null : c - 1);
      session.instance = null;
    }
  }

  private void moveOff(GatewaySession session, boolean rebind, String reason) {
    unbind(session);
    if (rebind && !directory.instances(session.service).isEmpty()) {
      session.ws.pause();
      open(session, true, new HashSet<>());
    } else {
      session.ws.close(CloseCodes.SERVICE_RESTART, reason);
    }
  }

  private void onSocketClosed(GatewaySession session) {
    session.closed = true;
    registry.remove(session);
    if (session.isBound()) {
      relay.close(session, closeCode(session.ws), session.ws.closeReason());
      unbind(session);
    }
  }

  private void refuse(GatewaySession session, Throwable cause, boolean rebind) {
    int code = rebind ? CloseCodes.SERVICE_RESTART : CloseCodes.TRY_AGAIN_LATER;
    String reason;
    if (cause instanceof ReplyException) {
      ReplyException re = (ReplyException) cause;
      switch (re.failureType()) {
        case NO_HANDLERS:
          reason = "Service " + session.service + " is not running";
          break;
        case TIMEOUT:
          reason = "Service " + session.service + " did not answer in time";
          break;
        default:
          code = CloseCodes.isSendable(re.failureCode()) ? re.failureCode() : CloseCodes.INTERNAL_ERROR;
          reason = re.getMessage() == null ? "Refused by service " + session.service : re.getMessage();
      }
    } else {
      reason = "Service " + session.service + " failed: " + cause.getMessage();
    }
    session.ws.close((short) code, truncateReason(reason));
  }

  private List<GatewaySession> boundTo(String instance) {
    List<GatewaySession> out = new ArrayList<>();
    registry.forEach(s -> {
      if (instance.equals(s.instance) && !s.closed) {
        out.add(s);
      }
    });
    return out;
  }

  private static boolean noHandlers(Throwable t) {
    return t instanceof ReplyException && ((ReplyException) t).failureType() == ReplyFailure.NO_HANDLERS;
  }

  private static int closeCode(ServerWebSocket ws) {
    Short code = ws.closeStatusCode();
    return code == null ? 1006 : code;
  }

  /** A close reason cut to the 123 bytes a close frame can carry. */
  static String truncateReason(String reason) {
    if (reason == null) {
      return "";
    }
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return reason;
    }
    String cut = new String(bytes, 0, MAX_REASON_BYTES, StandardCharsets.UTF_8);
    while (cut.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES || cut.endsWith("\uFFFD")) {
      cut = cut.substring(0, cut.length() - 1);
    }
    return cut;
  }
}
