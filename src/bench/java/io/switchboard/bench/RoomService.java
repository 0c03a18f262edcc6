package io.switchboard.bench;

import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;

/** The fan-out bench's service: every session joins one room; every message goes to the room. */
public class RoomService extends ServiceVerticle {

  /** The one group every session joins. */
  public static final String ROOM = "room";

  @Override
  protected String defaultName() {
    return "room";
  }

  @Override
  protected void onOpen(Session session) {
    session.join(ROOM);
  }

  @Override
  protected void onMessage(Session session, String text) {
    publish(ROOM, text);
  }
}
