package io.switchboard;

import io.switchboard.testing.JvmProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher's answers to operator mistakes: exactly one line (README: "a mistake ends with one
 * line and a non-zero exit"), so a stack trace or a stray warning fails these tests.
 */
@DisplayName("The launcher, given a mistake")
@Timeout(120)
class LauncherTest {

  private static final String GATEWAY = "io.switchboard.gateway.GatewayVerticle";
  private static final String FAILED = "switchboard: " + GATEWAY + " failed to start: ";
  /** README: 2 when the command line or the file cannot be used, 1 when the verticle refuses to start. */
  private static final int CONFIG = 2;
  private static final int DEPLOY = 1;

  @TempDir
  Path dir;

  @Test
  @DisplayName("names an unknown verticle class in one line and exits 2")
  void unknownClass() {
    assertOneLine(CONFIG, "switchboard: no verticle class io.switchboard.NoSuchVerticle on the classpath "
      + "(check the spelling and that the jar is built)",
      launch(Map.of(), "run", "io.switchboard.NoSuchVerticle", "-conf", "conf/gateway.json"));
  }

  @Test
  @DisplayName("names a class that is not a verticle in one line")
  void notAVerticle() {
    assertOneLine(CONFIG, "switchboard: java.lang.String is not a verticle (it must extend VerticleBase or implement Deployable)",
      launch(Map.of(), "run", "java.lang.String"));
  }

  @Test
  @DisplayName("names a missing config file in one line and exits 2")
  void missingConf() {
    assertOneLine(CONFIG, "switchboard: config file conf/nope.json not found (working directory: "
      + Path.of("").toAbsolutePath() + ")", launch(Map.of(), "run", GATEWAY, "-conf", "conf/nope.json"));
  }

  @Test
  @DisplayName("points at the line and column of malformed JSON in one line")
  void malformedJson() throws IOException {
    Path conf = write("bad.json", "{\n  \"port\": 8080,\n  \"routes\": { \"/chat\" \"chat\" }\n}\n");
    JvmProcess p = launch(Map.of(), "run", GATEWAY, "-conf", conf.toString());
    String line = assertOneLine(CONFIG, Pattern.compile(Pattern.quote("switchboard: " + conf + " is not valid JSON: ")
      + ".* at line 3, column 23"), p);
    assertTrue(line.contains("Unexpected character"), line);
  }

  @Test
  @DisplayName("rejects a config that is JSON but not an object, in one line")
  void notAnObject() throws IOException {
    Path conf = write("array.json", "[1, 2]");
    assertOneLine(CONFIG, "switchboard: " + conf + " must hold a JSON object ({ ... })",
      launch(Map.of(), "run", GATEWAY, "-conf", conf.toString()));
  }

  @Test
  @DisplayName("names a misspelled key and the key it meant, in one line, and exits 1")
  void misspelledKey() throws IOException {
    Path conf = write("typo.json", "{ \"prot\": 8080 }");
    assertOneLine(DEPLOY, FAILED + "gateway config: unknown key \"prot\"; did you mean \"port\"? (known keys: host, port, "
      + "webRoot, routes, forwardHeaders, allowedOrigins, allowMissingOrigin, limits, admin, metrics, readyServices, "
      + "auth, tls, bridge, compression, resume)", launch(Map.of(), "run", GATEWAY, "-conf", conf.toString()));
  }

  @Test
  @DisplayName("names a key of the wrong type and what it must be, in one line")
  void wrongType() throws IOException {
    Path conf = write("type.json", "{ \"port\": \"8080\" }");
    assertOneLine(DEPLOY, FAILED + "gateway config: \"port\" must be an integer from 0 to 65535, got \"8080\"",
      launch(Map.of(), "run", GATEWAY, "-conf", conf.toString()));
  }

  @Test
  @DisplayName("names an unknown nested key with its section, in one line")
  void unknownNestedKey() throws IOException {
    Path conf = write("nested.json", "{ \"limits\": { \"maxFramesize\": 65536 } }");
    JvmProcess p = launch(Map.of(), "run", GATEWAY, "-conf", conf.toString());
    String line = assertOneLine(DEPLOY, Pattern.compile(Pattern.quote(FAILED
      + "gateway config \"limits\": unknown key \"maxFramesize\"; did you mean \"maxFrameSize\"? (known keys: ") + ".*\\)"), p);
    assertTrue(line.contains("maxMessageSize"), line);
  }

  @Test
  @DisplayName("says a port is already in use, and how to change it, in one line (no warnings before it)")
  void portInUse() throws IOException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("0.0.0.0", 0));
      int port = taken.getLocalPort();
      assertOneLine(DEPLOY, FAILED + "cannot listen on 0.0.0.0:" + port + ": Address already in use "
          + "(change \"port\" in the config or set SWITCHBOARD_PORT)",
        launch(Map.of("SWITCHBOARD_PORT", Integer.toString(port)), "run", GATEWAY, "-conf", "conf/gateway.json"));
    }
  }

  @Test
  @DisplayName("prints the stack trace of a failed start only with --debug")
  void debugShowsTrace() throws IOException {
    Path conf = write("typo.json", "{ \"prot\": 8080 }");
    JvmProcess p = launch(Map.of(), "run", GATEWAY, "-conf", conf.toString(), "--debug");
    p.await("^switchboard: .* failed to start: gateway config: unknown key \"prot\"", 60_000);
    assertEquals(DEPLOY, p.awaitExit(60_000));
    assertTrue(p.printed(l -> l.startsWith("io.switchboard.config.ConfigException: gateway config: unknown key")), p.output());
    assertTrue(p.printed(l -> l.trim().startsWith("at io.switchboard.gateway.GatewayOptions")), p.output());
  }

  @Test
  @DisplayName("refuses an unknown command in one line and exits 2")
  void unknownCommand() {
    assertOneLine(CONFIG, "switchboard: unknown command frobnicate; the commands are run, start, stop, list, version, bare, "
      + "services, deploy, undeploy (launcher/vertx --help)", launch(Map.of(), "frobnicate"));
  }

  @Test
  @DisplayName("refuses run without a verticle in one line and exits 2")
  void runWithoutVerticle() {
    assertOneLine(CONFIG, "switchboard: run needs a verticle class, e.g. launcher/vertx run io.switchboard.gateway.GatewayVerticle "
      + "-conf conf/gateway.json (launcher/vertx --help)", launch(Map.of(), "run", "-cluster"));
  }

  @Test
  @DisplayName("lists every command under the name launcher/vertx in --help, and exits 0")
  void helpListsEveryCommand() {
    JvmProcess p = launch(Map.of(), "--help");
    p.await("^More: ", 60_000);
    assertEquals(0, p.awaitExit(60_000));
    String help = p.output();
    assertTrue(help.startsWith("Usage: launcher/vertx <command> [options]"), help);
    for (String command : List.of("run", "start", "stop", "list", "services", "deploy", "undeploy")) {
      assertTrue(help.lines().anyMatch(l -> l.startsWith("  " + command + " ")), command + " missing from:\n" + help);
    }
    assertTrue(help.contains("launcher/bench --help") && help.contains("--debug"), help);
    assertTrue(!help.contains("java io.switchboard"), help);
  }

  @Test
  @DisplayName("launcher/demo stop says that no demo runs when none does, and exits 0")
  void demoStopWithNothingRunning() throws IOException {
    // a copy of the script in an empty tree: its target/demo/ has no pids, whatever runs here
    Path script = dir.resolve("clone").resolve("launcher").resolve("demo");
    Files.createDirectories(script.getParent());
    Files.copy(Path.of("launcher", "demo"), script);
    JvmProcess p = JvmProcess.start("launcher-demo-stop", List.of("bash", script.toString(), "stop"), Map.of());
    p.await("not running", 30_000);
    assertEquals(0, p.awaitExit(30_000));
    assertEquals(List.of("The Switchboard demo is not running (nothing to stop)."), p.output().lines().toList());
  }

  /** Waits for the process to print {@code expected} and exit non-zero; fails when it printed anything else. */
  private static void assertOneLine(int exit, String expected, JvmProcess p) {
    assertOneLine(exit, Pattern.compile(Pattern.quote(expected)), p);
  }

  private static String assertOneLine(int exit, Pattern expected, JvmProcess p) {
    p.await("^switchboard: ", 60_000); // the line comes last: once it is there, the rest is only the exit
    assertEquals(exit, p.awaitExit(60_000), p.output());
    List<String> lines = p.output().lines().toList();
    assertEquals(1, lines.size(), "expected one line, got:\n" + p.output());
    assertTrue(expected.matcher(lines.get(0)).matches(), "expected /" + expected + "/, got:\n" + lines.get(0));
    return lines.get(0);
  }

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  private static JvmProcess launch(Map<String, String> env, String... args) {
    String name = "launcher-" + String.join("_", args).replaceAll("\\W", "_");
    return JvmProcess.launch(name.substring(0, Math.min(name.length(), 80)), List.of(), env, args);
  }
}
