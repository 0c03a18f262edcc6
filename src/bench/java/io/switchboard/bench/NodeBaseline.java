package io.switchboard.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The <b>node</b> baseline: {@code src/bench/node/server.js}, a single Node.js process on the
 * {@code ws} package ({@value #WS_VERSION}, pinned) doing what the bare Vert.x verticle does (echo,
 * room, the seed chat). {@link #detect} finds {@code node} (the {@code BENCH_NODE} environment
 * variable, else {@code node} on the {@code PATH}) and installs {@code ws} once into
 * {@code target/bench-node} with {@code npm} when it is missing. When either is unavailable the
 * target is skipped, with the reason in report.md: the run never fails for it.
 */
final class NodeBaseline {

  static final String WS_VERSION = "8.18.0";
  static final Duration INSTALL_TIMEOUT = Duration.ofSeconds(120);
  static final String SCRIPT = "src/bench/node/server.js";
  static final String MODULES = "target/bench-node";

  /** How to start the node server ({@code command} + the port), or why not ({@code skipReason}). */
  record Availability(List<String> command, Map<String, String> env, String skipReason) {
    boolean available() {
      return skipReason == null;
    }
  }

  private NodeBaseline() {
  }

  /** Finds node, the script and the ws package (installing it when missing); never throws. */
  static Availability detect(Path root, Path logDir) {
    try {
      Path script = root.resolve(SCRIPT);
      if (!Files.isRegularFile(script)) {
        return skip(SCRIPT + " is not there (the bench runs from a source checkout)");
      }
      String given = System.getenv("BENCH_NODE");
      String node = executable(given, "node");
      if (node == null) {
        return skip(given != null && !given.isBlank() ? "BENCH_NODE=" + given + " is not an executable"
          : "node is not installed (no `node` on the PATH; BENCH_NODE may name it)");
      }
      Path prefix = root.resolve(MODULES);
      Path modules = prefix.resolve("node_modules");
      if (!Files.isRegularFile(modules.resolve("ws").resolve("package.json"))) {
        String npm = executable(null, "npm");
        if (npm == null) {
          return skip("the ws package is not in " + MODULES + " and there is no npm to install it");
        }
        String failed = install(npm, prefix, logDir);
        if (failed != null) {
          return skip("npm install ws@" + WS_VERSION + " into " + MODULES + " failed: " + failed);
        }
      }
      return new Availability(List.of(node, script.toString()), Map.of("NODE_PATH", modules.toString()), null);
    } catch (RuntimeException e) {
      return skip(String.valueOf(e.getMessage()));
    }
  }

  private static Availability skip(String reason) {
    return new Availability(List.of(), Map.of(), reason);
  }

  /** {@code npm install --prefix <prefix> ws@<version>}, bounded; null when it worked, else its last output line. */
  private static String install(String npm, Path prefix, Path logDir) {
    try {
      Files.createDirectories(prefix);
      Files.createDirectories(logDir);
      Path log = logDir.resolve("node-install.log");
      Process p = new ProcessBuilder(npm, "install", "--prefix", prefix.toString(), "--prefer-offline", "--no-audit", "--no-fund", "--no-save",
        "--fetch-retries=0", "--fetch-timeout=30000", "ws@" + WS_VERSION)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "no answer within " + INSTALL_TIMEOUT.toSeconds() + " s";
      }
      if (p.exitValue() != 0 || !Files.isRegularFile(prefix.resolve("node_modules/ws/package.json"))) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        return "exit code " + p.exitValue() + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1));
      }
      return null;
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** A path to an executable: the given one if executable, else {@code name} found on the PATH; null if none. */
  private static String executable(String given, String name) {
    if (given != null && !given.isBlank()) {
      return Files.isExecutable(Path.of(given)) ? given : null;
    }
    List<String> dirs = new ArrayList<>(List.of(String.valueOf(System.getenv("PATH")).split(File.pathSeparator)));
    dirs.add("/usr/bin");
    dirs.add("/usr/local/bin");
    for (String dir : dirs) {
      if (!dir.isBlank() && Files.isExecutable(Path.of(dir, name))) {
        return Path.of(dir, name).toString();
      }
    }
    return null;
  }
}
