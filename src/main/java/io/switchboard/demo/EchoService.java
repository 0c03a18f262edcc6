package io.switchboard.demo;

import io.switchboard.service.Failover;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.buffer.Buffer;

/**
 * Echoes every message back to its sender: text as text, binary as binary. Routed at
 * {@code /echo} by the shipped {@code conf/gateway.json}.
 *
 * <pre>launcher/vertx run io.switchboard.demo.EchoService -conf conf/echo.json -cluster</pre>
 */
public class EchoService extends ServiceVerticle {

  @Override
  protected String defaultName() {
    return "echo";
  }

  /** Echo keeps no state: a session can move to another instance unnoticed. */
  @Override
  protected Failover defaultFailover() {
    return Failover.REBIND;
  }

  @Override
  protected void onMessage(Session session, String text) {
    session.send(text);
  }

  @Override
  protected void onMessage(Session session, Buffer data) {
    session.send(data);
  }
}
