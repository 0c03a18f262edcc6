package io.switchboard.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the bench starts a server JVM. From {@code launcher/bench} it is {@code launcher/vertx}
 * itself, so every server runs with the launcher's default JVM flags and {@code conf/} on its
 * classpath. Without the script (the in-JVM smoke test) it is {@code java} with this JVM's
 * classpath and {@link #FALLBACK_JAVA_OPTS}. {@code transport} (nio, epoll, io_uring, or null for the
 * launcher's default) goes to every server as {@code SWITCHBOARD_TRANSPORT}.
 */
record JvmCommand(Path root, Path launcherScript, String classpath, String transport) {

  /** The flags of a server started without the launcher script (smoke tests only). */
  static final List<String> FALLBACK_JAVA_OPTS = List.of("-Xms64m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxHeapFreeRatio=30", "-XX:MinHeapFreeRatio=10",
    "-XX:TieredStopAtLevel=1", "-Dhazelcast.logging.type=jdk");

  /** The launcher script when {@code bench.launcher} names it, else this JVM's classpath. */
  static JvmCommand detect(Path root, String transport) {
    String script = System.getProperty("bench.launcher");
    if (script != null && !script.isBlank()) {
      return new JvmCommand(root, Path.of(script), null, transport);
    }
    String cp = System.getProperty("surefire.test.class.path");
    return new JvmCommand(root, null, cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"), transport);
  }

  /** Whether servers get exactly the launcher's default JVM flags. */
  boolean usesLauncherFlags() {
    return launcherScript != null;
  }

  /** The command line of {@code launcher/vertx <launcherArgs>} on a cluster config (may be null). */
  List<String> command(Path clusterConfig, List<String> launcherArgs) {
    List<String> cmd = new ArrayList<>();
    if (launcherScript != null) {
      cmd.add(launcherScript.toString());
    } else {
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(FALLBACK_JAVA_OPTS);
      cmd.add("-Djava.util.logging.config.file=" + root.resolve("conf/logging.properties"));
      if (clusterConfig != null) {
        cmd.add("-Dvertx.hazelcast.config=" + clusterConfig);
      }
      cmd.add("-Dvertx.cacheDirBase=" + System.getProperty("java.io.tmpdir") + "/switchboard-bench-vertx-cache");
      cmd.add("-cp");
      cmd.add(root.resolve("conf") + File.pathSeparator + classpath);
      cmd.add("io.switchboard.launcher.SwitchboardLauncher");
    }
    cmd.addAll(launcherArgs);
    return cmd;
  }

  /** This JVM's classpath (surefire's test classpath in a test): a bench helper process runs on it. */
  static String ownClasspath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  /** Where the bench's own classes are (target/switchboard-bench.jar when run by launcher/bench). */
  static String benchJar() {
    try {
      return Path.of(JvmCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("cannot locate the bench's classes", e);
    }
  }

  /** The environment of {@link #command}. */
  void environment(Map<String, String> env, Path clusterConfig, String extraJavaOpts) {
    env.put("SWITCHBOARD_SKIP_BUILD", "1"); // launcher/bench built it
    if (launcherScript != null) {
      env.put("SWITCHBOARD_EXTRA_CLASSPATH", benchJar()); // the bench's verticles (bare, netty, naive, room)
    }
    if (clusterConfig != null) {
      env.put("SWITCHBOARD_CLUSTER_CONFIG", clusterConfig.toString());
    }
    if (transport != null) {
      env.put("SWITCHBOARD_TRANSPORT", transport);
    }
    env.remove("SWITCHBOARD_HOST");
    env.remove("SWITCHBOARD_PORT");
    if (extraJavaOpts != null && !extraJavaOpts.isBlank()) {
      env.put("SWITCHBOARD_JAVA_OPTS", extraJavaOpts);
    } else {
      env.remove("SWITCHBOARD_JAVA_OPTS");
    }
  }
}
