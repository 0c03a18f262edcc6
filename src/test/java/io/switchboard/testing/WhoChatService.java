package io.switchboard.testing;

import io.switchboard.demo.ChatService;
import io.switchboard.service.Session;

/**
 * The demo chat with one test-only command: the text {@code who} is answered, to that client
 * alone, with {@code who <instance address>} ({@code who <address> rebound} after a failover), so
 * a test knows which chat instance a client is bound to. Everything else is the chat's.
 */
public class WhoChatService extends ChatService {

  @Override
  protected void onMessage(Session session, String text) {
    if ("who".equals(text)) {
      session.send("who " + instanceAddress() + (session.isRebind() ? " rebound" : ""));
    } else {
      super.onMessage(session, text);
    }
  }
}
