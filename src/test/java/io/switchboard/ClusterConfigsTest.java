package io.switchboard;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped cluster configs for real networks, read as vertx-hazelcast reads them (Hazelcast's
 * XmlConfigBuilder, which fills in {@code ${...}} from system properties; given here explicitly).
 */
@DisplayName("The cluster configs for real networks")
class ClusterConfigsTest {

  @Test
  @DisplayName("conf/cluster-network.xml takes its members from the property launcher/vertx sets from SWITCHBOARD_CLUSTER_MEMBERS")
  void networkConfig() throws Exception {
    Config config = load("conf/cluster-network.xml", "switchboard.cluster.members", "10.0.0.5,10.0.0.6:5702, 10.0.0.7");
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.5", "10.0.0.6:5702", "10.0.0.7"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    assertEquals("false", config.getProperty("hazelcast.socket.bind.any"), "never every address");
    assertEquals("10", config.getProperty("hazelcast.max.no.heartbeat.seconds"));
    assertEquals("10", config.getProperty("hazelcast.merge.first.run.delay.seconds"));
    assertTrue(config.getMultiMapConfig("__vertx.subs").getBackupCount() >= 1);
  }

  @Test
  @DisplayName("conf/kubernetes/cluster.xml finds members through the headless service's DNS name")
  void kubernetesConfig() throws Exception {
    Config config = load("conf/kubernetes/cluster.xml", "switchboard.cluster.dns", "switchboard-cluster.demo.svc.cluster.local");
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals("switchboard-cluster.demo.svc.cluster.local", join.getKubernetesConfig().getProperty("service-dns"));
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertEquals("false", config.getProperty("hazelcast.socket.bind.any"));
  }

  @Test
  @DisplayName("launcher/vertx refuses the member-list config without SWITCHBOARD_CLUSTER_MEMBERS, in one line")
  void launcherNeedsMembers() throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "launcher/vertx", "run", "io.switchboard.gateway.GatewayVerticle", "-cluster")
      .redirectErrorStream(true);
    pb.environment().put("SWITCHBOARD_CLUSTER_CONFIG", "conf/cluster-network.xml");
    pb.environment().put("SWITCHBOARD_SKIP_BUILD", "1");
    pb.environment().remove("SWITCHBOARD_CLUSTER_MEMBERS");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher ended");
    assertEquals(2, p.exitValue(), out);
    assertEquals("switchboard: conf/cluster-network.xml needs SWITCHBOARD_CLUSTER_MEMBERS, the cluster's hosts "
      + "(e.g. 10.0.0.5,10.0.0.6)", out.trim());
  }

  private static Config load(String file, String property, String value) throws Exception {
    Properties properties = new Properties();
    properties.setProperty(property, value);
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      return new XmlConfigBuilder(in).setProperties(properties).build();
    }
  }
}
