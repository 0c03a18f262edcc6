package io.switchboard.gateway.impl;

import io.vertx.core.eventbus.EventBus;

/**
 * What a gateway node's endpoints share: its relay to the services and its session id sequence.
 * Session ids are the node id plus a counter, unique in the cluster without coordination.
 */
public final class ServiceLink {

  final ServiceRelay relay;
  private final String nodeId;
  private long nextId;

  public ServiceLink(EventBus bus, String nodeId, String nodeAddress, long openTimeoutMs) {
    this.relay = new ServiceRelay(bus, nodeAddress, openTimeoutMs);
    this.nodeId = nodeId;
  }

  String nextSessionId() {
    return nodeId + "." + Long.toString(nextId++, 36);
  }
}
