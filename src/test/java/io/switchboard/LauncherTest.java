package io.switchboard;

import io.switchboard.testing.JvmProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher's answers to operator mistakes: one clear line and a non-zero exit. */
@DisplayName("The launcher, given a mistake")
class LauncherTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("names an unknown verticle class and exits 2")
  void unknownClass() {
    JvmProcess p = launch("run", "io.switchboard.NoSuchVerticle", "-conf", "conf/gateway.json");
    assertEquals(2, p.awaitExit(30_000));
    assertTrue(p.output().contains("switchboard: no verticle class io.switchboard.NoSuchVerticle on the classpath"), p.output());
  }

  @Test
  @DisplayName("names a class that is not a verticle")
  void notAVerticle() {
    JvmProcess p = launch("run", "java.lang.String");
    assertEquals(2, p.awaitExit(30_000));
    assertTrue(p.output().contains("java.lang.String is not a verticle"), p.output());
  }

  @Test
  @DisplayName("names a missing config file and exits 2")
  void missingConf() {
    JvmProcess p = launch("run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/nope.json");
    assertEquals(2, p.awaitExit(30_000));
    assertTrue(p.output().contains("switchboard: config file conf/nope.json not found"), p.output());
  }

  @Test
  @DisplayName("points at the line and column of malformed JSON and exits 2")
  void malformedJson() throws IOException {
    Path conf = dir.resolve("bad.json");
    Files.writeString(conf, "{\n  \"port\": 8080,\n  \"routes\": { \"/chat\" \"chat\" }\n}\n");
    JvmProcess p = launch("run", "io.switchboard.gateway.GatewayVerticle", "-conf", conf.toString());
    assertEquals(2, p.awaitExit(30_000));
    String line = p.output().lines().filter(l -> l.startsWith("switchboard:")).findFirst().orElse(p.output());
    assertTrue(line.contains(conf + " is not valid JSON") && line.contains("at line 3, column 23"), line);
  }

  @Test
  @DisplayName("rejects a config that is JSON but not an object")
  void notAnObject() throws IOException {
    Path conf = dir.resolve("array.json");
    Files.writeString(conf, "[1, 2]");
    JvmProcess p = launch("run", "io.switchboard.gateway.GatewayVerticle", "-conf", conf.toString());
    assertEquals(2, p.awaitExit(30_000));
    assertTrue(p.output().contains(conf + " must hold a JSON object"), p.output());
  }

  @Test
  @DisplayName("reports a mistyped config key by name when the verticle refuses it")
  void unknownKey() throws IOException {
    Path conf = dir.resolve("typo.json");
    Files.writeString(conf, "{ \"prot\": 8080 }");
    JvmProcess p = launch("run", "io.switchboard.gateway.GatewayVerticle", "-conf", conf.toString());
    assertEquals(15, p.awaitExit(30_000));
    assertTrue(p.output().contains("switchboard: io.switchboard.gateway.GatewayVerticle failed to start: "
      + "gateway config: unknown key \"prot\"; did you mean \"port\"?"), p.output());
  }

  private static JvmProcess launch(String... args) {
    return JvmProcess.launch("launcher-" + args[1].replaceAll("\\W", "_"), List.of(), Map.of(), args);
  }
}
