package io.switchboard.testing;

import io.switchboard.gateway.GatewayVerticle;
import io.vertx.core.Future;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A gateway whose event loop a test can block (the test hook of "a busy gateway is not declared
 * lost"): when the file named by the system property {@code test.block.file} appears, its content
 * (milliseconds) is read, the file deleted, and the gateway's own event loop sleeps that long,
 * as a burst of work would hold it. Prints {@code blocking the event loop} and
 * {@code event loop free again} around it.
 */
public class BlockableGateway extends GatewayVerticle {

  @Override
  public Future<?> start() {
    String file = System.getProperty("test.block.file");
    if (file != null) {
      Path trigger = Path.of(file);
      vertx.setPeriodic(100, id -> {
        try {
          if (Files.exists(trigger)) {
            long ms = Long.parseLong(Files.readString(trigger).trim());
            Files.delete(trigger);
            System.out.println("blocking the event loop for " + ms + " ms");
            System.out.flush();
            Thread.sleep(ms);
            System.out.println("event loop free again");
            System.out.flush();
          }
        } catch (Exception e) {
          System.out.println("block hook failed: " + e);
        }
      });
    }
    return super.start();
  }
}
