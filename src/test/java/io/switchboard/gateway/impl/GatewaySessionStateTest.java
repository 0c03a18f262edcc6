package io.switchboard.gateway.impl;

import io.switchboard.gateway.impl.GatewaySession.State;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("A gateway session's life")
class GatewaySessionStateTest {

  private final GatewaySession session = new GatewaySession("n.1", "echo", null, null, () -> { });

  @Test
  @DisplayName("opens unbound, is bound by an instance, rebinds when it goes, and is bound again")
  void bindAndRebind() {
    assertEquals(State.OPENING, session.state);
    assertTrue(session.isLive());
    assertFalse(session.isBound());
    session.boundTo("i1");
    assertEquals(State.BOUND, session.state);
    assertEquals("i1", session.instance);
    session.batched = true;
    session.unbound();
    assertEquals(State.REBINDING, session.state);
    assertNull(session.instance);
    assertFalse(session.batched, "the next instance says for itself whether it takes batches");
    assertTrue(session.isLive());
    session.boundTo("i2");
    assertEquals(State.BOUND, session.state);
  }

  @Test
  @DisplayName("starts closing once; a bound session keeps its instance so that the close reaches it")
  void closingOnce() {
    session.boundTo("i1");
    assertTrue(session.startClosing());
    assertEquals(State.CLOSING, session.state);
    assertFalse(session.isLive());
    assertFalse(session.startClosing(), "the second close is not sent");
    assertTrue(session.isBound());
  }

  @Test
  @DisplayName("stays closing when an instance accepts it or lets it go meanwhile")
  void closingIsSticky() {
    session.startClosing();
    session.boundTo("i1");
    assertEquals(State.CLOSING, session.state);
    session.unbound();
    assertEquals(State.CLOSING, session.state);
  }

  @Test
  @DisplayName("ends closed, from any state, and nothing brings it back")
  void closedIsFinal() {
    session.boundTo("i1");
    session.closed();
    assertTrue(session.isClosed());
    assertFalse(session.isLive());
    assertFalse(session.startClosing());
    session.unbound();
    session.boundTo("i2");
    assertEquals(State.CLOSED, session.state);
  }
}
