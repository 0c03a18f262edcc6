package io.switchboard.gateway.impl;

import io.vertx.core.http.ServerWebSocket;

import java.util.HashSet;
import java.util.Set;

/**
 * One browser connection as the gateway sees it. Created when the upgrade succeeds, confined to
 * the gateway verticle's event loop, and freed in one place: {@link SessionRegistry#remove}.
 */
final class GatewaySession {

  final String id;
  final String service;
  final ServerWebSocket ws;
  /** Groups this session is a member of, so that removal can clean them. */
  final Set<String> groups = new HashSet<>(4);
  /** The service instance address, once the service accepted the open; null before. */
  String instance;
  boolean closed;

  GatewaySession(String id, String service, ServerWebSocket ws) {
    this.id = id;
    this.service = service;
    this.ws = ws;
  }

  boolean isBound() {
    return instance != null;
  }
}
