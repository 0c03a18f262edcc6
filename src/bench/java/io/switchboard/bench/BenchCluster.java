package io.switchboard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;

/**
 * A private Hazelcast cluster for one bench topology: {@code conf/cluster.xml} with a unique
 * cluster name and its own port range, so a bench never joins a demo or a test cluster.
 */
final class BenchCluster {

  static final int PORT_RANGE = 10;

  private final Path config;
  private final int basePort;

  BenchCluster(Path root, Path dir, String name) {
    try {
      basePort = freeRange();
      String xml = Files.readString(root.resolve("conf/cluster.xml"))
        .replace("<cluster-name>switchboard</cluster-name>",
          "<cluster-name>switchboard-bench-" + name + "-" + UUID.randomUUID() + "</cluster-name>")
        .replace(">5701</port>", ">" + basePort + "</port>")
        .replace("<properties>", "<properties>\n    <property name=\"hazelcast.tcp.join.port.try.count\">" + PORT_RANGE + "</property>");
      config = dir.resolve("cluster-" + name + ".xml");
      Files.writeString(config, xml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path config() {
    return config;
  }

  /** The first of the {@link #PORT_RANGE} Hazelcast member ports of this cluster. */
  int basePort() {
    return basePort;
  }

  /** A free TCP port on loopback. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freeRange() {
    Random random = new Random();
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 20000 + random.nextInt(12000);
      boolean free = true;
      for (int p = base; p < base + PORT_RANGE && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
          free = true;
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range for a bench cluster");
  }
}
