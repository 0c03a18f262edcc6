package io.switchboard.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * A private Hazelcast cluster for one test class: conf/cluster.xml with a unique cluster name and
 * its own port range, so tests never join a demo running on the same machine.
 */
public final class TestCluster {

  private final Path config;

  public TestCluster() {
    try {
      String xml = Files.readString(Path.of("conf", "cluster.xml"))
        .replace("<cluster-name>switchboard</cluster-name>",
          "<cluster-name>switchboard-test-" + UUID.randomUUID() + "</cluster-name>")
        .replace(">5701</port>", ">" + basePort() + "</port>")
        .replace("<properties>", "<properties>\n    <property name=\"hazelcast.tcp.join.port.try.count\">10</property>");
      Files.createDirectories(Path.of("target"));
      config = Files.createTempFile(Path.of("target"), "cluster-", ".xml");
      Files.writeString(config, xml);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** This cluster's Hazelcast XML, e.g. for {@code SWITCHBOARD_CLUSTER_CONFIG}. */
  public Path configFile() {
    return config.toAbsolutePath();
  }

  /** The JVM flags that make a launched process join this cluster. */
  public List<String> jvmArgs() {
    return List.of("-Dvertx.hazelcast.config=" + config.toAbsolutePath());
  }

  /**
   * A random base port with ten free ports above it, so concurrent test clusters rarely meet.
   * Hazelcast's TCP-IP join needs its member ports known in advance, so port 0 cannot be used.
   * The ports are released before the JVMs bind them; a collision in between is harmless: a
   * member whose port is taken moves to the next (port auto-increment, 10 tries), and a member of
   * another cluster found there is refused, as every test cluster has its own cluster name.
   */
  private static int basePort() {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 20000 + random.nextInt(20000);
      boolean free = true;
      for (int p = base; p < base + 10 && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
          free = true;
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new AssertionError("no free port range for a test cluster");
  }

  /**
   * A TCP port free at the time of the call. Only for servers that must share a fixed port (a
   * gateway JVM with {@code -instances 2}); a server that may take port 0 should, and report the
   * port it got. If another process takes the port in between, the gateway fails to start with
   * "port in use" and the test fails loudly; nothing is silently misrouted.
   */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
