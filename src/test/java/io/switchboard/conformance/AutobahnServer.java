package io.switchboard.conformance;

import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The server the Autobahn|Testsuite fuzzing client tests ({@code mvn -B verify -Pautobahn}). The
 * Maven plugin calls {@link #main} with a free port; this starts, on a private cluster, an echo
 * service JVM ({@link io.switchboard.demo.EchoService}) and then a gateway JVM on that port whose
 * path {@code /} (the one the fuzzing client uses) is routed to {@code echo}: every case goes
 * gateway JVM, Hazelcast event bus, echo service JVM and back. The gateway's limits allow the 16 MB
 * messages of cases 9.*; it offers permessage-deflate (with its defaults: no context takeover
 * either way) for cases 12.* and 13.*. Both JVMs end with the build ({@link ExitWithParent}); their output is in
 * {@code target/it-logs/autobahn-*.log}.
 */
public final class AutobahnServer {

  /** Where the generated gateway config is written. */
  static final Path WORK = Path.of("target", "autobahn");
  private static final long START_TIMEOUT_MS = 150_000;

  private AutobahnServer() {
  }

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    // the plugin prints only failures: print the whole tally when the build ends (the report is
    // written by then); the hook is made now, while the project's classes can still be loaded
    long started = System.currentTimeMillis();
    Thread tally = new Thread(() -> {
      if (AutobahnTally.INDEX.toFile().lastModified() >= started) {
        System.out.println(AutobahnTally.read(AutobahnTally.INDEX));
      }
    }, "autobahn-tally");
    Runtime.getRuntime().addShutdownHook(tally);
    TestCluster cluster = new TestCluster();
    String classpath = "conf" + File.pathSeparator + classpath();
    // the echo service first: when the gateway accepts the fuzzing client's first connection,
    // the service is already in the cluster
    JvmProcess echo = child("autobahn-echo", cluster, classpath, Map.of(),
      "run", "io.switchboard.demo.EchoService", "-conf", "conf/echo.json", "-cluster");
    Runtime.getRuntime().addShutdownHook(new Thread(echo::close, "autobahn-echo-stop"));
    echo.await("Service echo ready", START_TIMEOUT_MS);
    JvmProcess gateway = child("autobahn-gateway", cluster, classpath,
      Map.of("SWITCHBOARD_PORT", Integer.toString(port)),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", writeGatewayConf().toString(), "-cluster");
    Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "autobahn-gateway-stop"));
    gateway.await("Gateway node .* ready", START_TIMEOUT_MS);
    System.out.println("Autobahn target: ws://127.0.0.1:" + port + "/ -> gateway JVM " + gateway.pid()
      + " -> cluster -> echo service JVM " + echo.pid());
  }

  /**
   * The gateway's config: {@code /} routed to echo; frames and messages up to 16 MB (cases 9.1.6
   * and 9.2.6 send a single 16 MB frame); permessage-deflate offered; 64 MB may wait for the client to read; no pings and no
   * idle timeout within a run, as a ping the fuzzing client does not expect would change a case.
   */
  static Path writeGatewayConf() throws IOException {
    Files.createDirectories(WORK);
    Path conf = WORK.resolve("gateway.json");
    Files.writeString(conf, """
      {
        "host": "0.0.0.0",
        "routes": { "/": "echo" },
        "allowMissingOrigin": true,
        "metrics": { "enabled": false },
        "readyServices": ["echo"],
        "compression": { "enabled": true },
        "limits": {
          "maxFrameSize": 16777216,
          "maxMessageSize": 16777216,
          "maxOutboundBytes": 67108864,
          "pingIntervalMs": 3600000,
          "idleTimeoutMs": 7200000
        }
      }
      """);
    return conf.toAbsolutePath();
  }

  private static JvmProcess child(String name, TestCluster cluster, String classpath, Map<String, String> env,
                                  String... launcherArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    cmd.add("-Djava.util.logging.config.file=conf/logging.properties");
    cmd.add("-Dhazelcast.logging.type=jdk");
    cmd.add("-Dvertx.cacheDirBase=target/.vertx-" + name);
    cmd.addAll(cluster.jvmArgs());
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(ExitWithParent.class.getName());
    cmd.addAll(List.of(launcherArgs));
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("SWITCHBOARD_BRIDGE_PORT", "0");
    return JvmProcess.start(name, cmd, all);
  }

  /**
   * The test classpath: the plugin runs this class in the Maven JVM, in a class loader made of the
   * project's test classpath (its {@code java.class.path} is Maven's own).
   */
  private static String classpath() {
    List<String> entries = new ArrayList<>();
    ClassLoader loader = AutobahnServer.class.getClassLoader();
    if (loader instanceof URLClassLoader) {
      for (URL url : ((URLClassLoader) loader).getURLs()) {
        try {
          entries.add(Paths.get(url.toURI()).toString());
        } catch (Exception e) {
          throw new IllegalStateException("not a file on the classpath: " + url, e);
        }
      }
    }
    String surefire = System.getProperty("surefire.test.class.path");
    if (entries.isEmpty()) {
      return surefire != null ? surefire : System.getProperty("java.class.path");
    }
    return String.join(File.pathSeparator, entries);
  }
}
