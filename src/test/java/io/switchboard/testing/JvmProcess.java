package io.switchboard.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real, separate JVM running the Switchboard launcher with the test classpath, as
 * {@code launcher/vertx} would. Its output is kept (and copied to {@code target/it-logs/}) so a
 * test can wait for a line and a failure can show what the process said.
 */
public final class JvmProcess implements AutoCloseable {

  private static final Path LOGS = Path.of("target", "it-logs");

  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
  private final long startedAt = System.nanoTime();
  /** Copies the output into {@link #lines}; it ends when the process closed its output. */
  private final Thread reader;

  private record Waiter(Pattern pattern, CompletableFuture<Matcher> found) {
  }

  private JvmProcess(String name, Process process) throws IOException {
    this.name = name;
    this.process = process;
    Files.createDirectories(LOGS);
    Path log = LOGS.resolve(name + ".log");
    reader = new Thread(() -> pump(log), name + "-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code SwitchboardLauncher} with these arguments and extra system properties / env. */
  public static JvmProcess launch(String name, List<String> jvmArgs, Map<String, String> env, String... launcherArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Djava.util.logging.config.file=conf/logging.properties");
    cmd.add("-Dhazelcast.logging.type=jdk");
    cmd.add("-Dvertx.cacheDirBase=target/.vertx-" + name);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add("conf" + java.io.File.pathSeparator + testClasspath());
    cmd.add("io.switchboard.launcher.SwitchboardLauncher");
    cmd.addAll(List.of(launcherArgs));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // conf/services.json opens the TCP bridge: on any free port, so parallel runs never collide
    pb.environment().put("SWITCHBOARD_BRIDGE_PORT", "0");
    pb.environment().putAll(env);
    try {
      return new JvmProcess(name, pb.start());
    } catch (IOException e) {
      throw new AssertionError("cannot start " + name + ": " + e, e);
    }
  }

  /** Starts any other program (e.g. {@code python3} and a service script), watched the same way. */
  public static JvmProcess start(String name, List<String> command, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    try {
      return new JvmProcess(name, pb.start());
    } catch (IOException e) {
      throw new AssertionError("cannot start " + name + " (" + command.get(0) + "): " + e, e);
    }
  }

  private static String testClasspath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  private void pump(Path log) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
        out.write(line);
        out.newLine();
        out.flush();
        for (Waiter w : waiters) {
          Matcher m = w.pattern.matcher(line);
          if (m.find()) {
            w.found.complete(m);
          }
        }
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  /** Waits for a line matching {@code regex}; returns the match. Fails with the output so far. */
  public Matcher await(String regex, long timeoutMs) {
    Pattern p = Pattern.compile(regex);
    Waiter w = new Waiter(p, new CompletableFuture<>());
    waiters.add(w);
    for (String line : lines) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        return m;
      }
    }
    long deadline = System.currentTimeMillis() + timeoutMs;
    try {
      while (true) {
        try {
          return w.found.get(200, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          if (!process.isAlive()) {
            drainOutput();
            if (w.found.isDone()) {
              return w.found.get();
            }
            throw new IllegalStateException("the process exited with " + process.exitValue());
          }
          if (System.currentTimeMillis() > deadline) {
            throw e;
          }
        }
      }
    } catch (Exception e) {
      throw new AssertionError(name + ": no line matching /" + regex + "/ within " + timeoutMs + " ms; output:\n"
        + String.join("\n", lines), e);
    } finally {
      waiters.remove(w);
    }
  }

  /** Whether any line so far matches. */
  public boolean printed(Predicate<String> test) {
    return lines.stream().anyMatch(test);
  }

  public String output() {
    return String.join("\n", lines);
  }

  /** Waits for the process to exit; returns its exit code. */
  public int awaitExit(long timeoutMs) {
    try {
      if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
        throw new AssertionError(name + " did not exit within " + timeoutMs + " ms; output:\n" + output());
      }
      drainOutput();
      return process.exitValue();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Once the process has exited: waits for the reader to copy its last lines (bounded). */
  private void drainOutput() throws InterruptedException {
    reader.join(5_000);
  }

  /** Sends SIGTERM (what {@code kill <pid>} does) without waiting. */
  public void terminate() {
    process.destroy();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Milliseconds since this process was started. */
  public long elapsedMs() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
  }

  public long pid() {
    return process.pid();
  }

  /** Kills the JVM at once, as {@code kill -9}. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(10_000);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
      }
    }
  }
}
