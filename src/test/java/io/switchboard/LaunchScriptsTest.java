package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.testing.Await;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The shell scripts users run, {@code launcher/demo} and {@code launcher/vertx}, as they are,
 * from a copy of the project whose {@code target/switchboard.jar} is a manifest-only jar over the
 * test classpath (so nothing is built here). Each run is on a private cluster and a free port.
 */
@DisplayName("The launch scripts launcher/demo and launcher/vertx")
class LaunchScriptsTest {

  private static final TestCluster cluster = new TestCluster();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static Path root;
  private static Vertx vertx;

  @BeforeAll
  static void copyProject() throws IOException {
    vertx = Vertx.vertx();
    root = Path.of("target", "launch-scripts", UUID.randomUUID().toString()).toAbsolutePath();
    for (String dir : List.of("launcher", "conf")) {
      Path from = Path.of(dir);
      try (Stream<Path> files = Files.walk(from)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Path to = root.resolve(from.relativize(f).toString().isEmpty() ? dir : dir + "/" + from.relativize(f));
          if (Files.isDirectory(f)) {
            Files.createDirectories(to);
          } else {
            Files.copy(f, to, StandardCopyOption.COPY_ATTRIBUTES);
          }
        }
      }
    }
    Files.createDirectories(root.resolve("target"));
    writeClasspathJar(root.resolve("target").resolve("switchboard.jar"));
  }

  @AfterAll
  static void close() {
    vertx.close();
  }

  @Test
  @DisplayName("launcher/vertx honours SWITCHBOARD_HOST, _PORT, _CLUSTER_CONFIG and _JAVA_OPTS")
  void vertxScriptEnvironment() throws Exception {
    Map<String, String> env = env();
    env.put("SWITCHBOARD_HOST", "127.0.0.1");
    env.put("SWITCHBOARD_PORT", "0");
    env.put("SWITCHBOARD_JAVA_OPTS", "-showversion -Dswitchboard.test.marker=from-java-opts");
    try (JvmProcess gateway = JvmProcess.start("script-vertx-gateway",
      List.of("bash", root.resolve("launcher/vertx").toString(), "run", "io.switchboard.gateway.GatewayVerticle",
        "-conf", "conf/gateway.json", "-cluster"), env)) {
      // host and port from the environment, not conf/gateway.json's 0.0.0.0:8080
      int port = Integer.parseInt(gateway.await("Gateway node \\S+ ready on http://127\\.0\\.0\\.1:(\\d+)/", 90_000).group(1));
      assertTrue(port != 8080 && port > 0, "port " + port);
      assertTrue(gateway.printed(l -> l.contains("version \"")), "-showversion from SWITCHBOARD_JAVA_OPTS ran:\n"
        + gateway.output());
      // the script execs java: its command line carries the cluster config and the extra options
      String cmdline = Files.readString(Path.of("/proc", Long.toString(gateway.pid()), "cmdline")).replace('\0', ' ');
      assertTrue(cmdline.contains("-Dvertx.hazelcast.config=" + cluster.configFile()), cmdline);
      assertTrue(cmdline.contains("-Dswitchboard.test.marker=from-java-opts"), cmdline);
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }

  @Test
  @DisplayName("launcher/demo starts a gateway and services that serve the page and the echo, and launcher/demo stop stops them")
  void demo() throws Exception {
    int port = TestCluster.freePort(); // the demo prints its URLs from SWITCHBOARD_PORT, so it takes a fixed one
    Map<String, String> env = env();
    env.put("SWITCHBOARD_PORT", Integer.toString(port));
    env.put("SWITCHBOARD_HOST", "127.0.0.1");
    try (JvmProcess demo = JvmProcess.start("script-demo", List.of("bash", root.resolve("launcher/demo").toString()), env)) {
      HttpResponse<String> page = Await.until("the demo serving its page", 120_000,
        () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
          HttpResponse.BodyHandlers.ofString()), r -> r.statusCode() == 200);
      assertTrue(page.body().contains("Switchboard chat"), page.body());
      Await.until("the demo's echo service routable", 60_000, () -> {
        try (WsClient c = WsClient.connect(vertx, port, "/echo")) {
          c.send("hello demo");
          return c.poll(2_000);
        }
      }, "hello demo"::equals);
      List<Long> pids = new ArrayList<>();
      for (String line : Files.readAllLines(root.resolve("target/demo/pids"))) {
        pids.add(Long.parseLong(line.trim()));
      }
      assertEquals(2, pids.size(), "a gateway and a services JVM");

      JvmProcess stop = JvmProcess.start("script-demo-stop", List.of("bash", root.resolve("launcher/demo").toString(), "stop"), env);
      assertEquals(0, stop.awaitExit(60_000), stop.output());
      demo.awaitExit(30_000);
      for (long pid : pids) {
        assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "JVM " + pid + " stopped");
      }
      assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
        HttpResponse.BodyHandlers.ofString()), "nothing serves the port any more");
    }
  }

  /** What every script run gets: this test's private cluster, a bridge on any port, no build. */
  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("SWITCHBOARD_CLUSTER_CONFIG", cluster.configFile().toString());
    env.put("SWITCHBOARD_BRIDGE_PORT", "0");
    env.put("SWITCHBOARD_SKIP_BUILD", "1");
    env.put("TMPDIR", root.resolve("target").toString());
    return env;
  }

  /** A jar with only a manifest whose Class-Path is the test classpath: what the scripts run. */
  private static void writeClasspathJar(Path jar) throws IOException {
    String cp = System.getProperty("surefire.test.class.path");
    if (cp == null || cp.isBlank()) {
      cp = System.getProperty("java.class.path");
    }
    StringBuilder classPath = new StringBuilder();
    for (String entry : cp.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        classPath.append(Path.of(entry).toAbsolutePath().toUri()).append(' ');
      }
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath.toString().trim());
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest)) {
      j.flush();
    }
  }
}
