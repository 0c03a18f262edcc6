package io.switchboard.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One server process the bench measures: a JVM (or, for the node baseline, a Node.js process)
 * started as its own process, its output kept in {@code <results>/logs/<name>.log}, its CPU time
 * and RSS read from {@code /proc}. Heap figures ({@code jcmd}) exist for JVMs only.
 */
final class ServerJvm implements AutoCloseable {

  private static final int TAIL_LINES = 40;
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  final String name;
  /** Whether the process is a JVM (jcmd works on it); false for the node baseline. */
  final boolean jvm;
  private final Process process;
  private final Deque<String> tail = new ArrayDeque<>();
  private final StringBuilder seen = new StringBuilder();
  private volatile long lastLineNanos;

  private ServerJvm(String name, boolean jvm, Process process, Path log) {
    this.name = name;
    this.jvm = jvm;
    this.process = process;
    Thread pump = new Thread(() -> pump(log), "bench-" + name + "-output");
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts {@code launcher/vertx <args>} on a cluster config (null: not clustered). */
  static ServerJvm start(JvmCommand jvm, Path logDir, String name, Path clusterConfig, String extraJavaOpts, List<String> args) {
    ProcessBuilder pb = new ProcessBuilder(jvm.command(clusterConfig, args)).redirectErrorStream(true)
      .directory(jvm.root().toFile());
    jvm.environment(pb.environment(), clusterConfig, extraJavaOpts);
    try {
      Files.createDirectories(logDir);
      return new ServerJvm(name, true, pb.start(), logDir.resolve(name + ".log"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /** Starts a server process that is not a JVM (the node baseline): {@code command} in {@code dir}, with these extra environment variables. */
  static ServerJvm startProcess(String name, List<String> command, java.util.Map<String, String> env, Path dir, Path logDir) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
    pb.environment().putAll(env);
    try {
      Files.createDirectories(logDir);
      return new ServerJvm(name, false, pb.start(), logDir.resolve(name + ".log"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  private void pump(Path log) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.newLine();
        out.flush();
        synchronized (this) {
          lastLineNanos = System.nanoTime();
          tail.addLast(line);
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
          seen.append(line).append('\n');
          notifyAll();
        }
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  /**
   * Waits for an output line matching {@code regex}; returns the {@link System#nanoTime()} at
   * which the bench read it. Fails with the process's last lines if it exits or times out.
   */
  synchronized long await(String regex, Duration timeout) {
    awaitMatch(regex, timeout);
    return lastLineNanos;
  }

  /**
   * Waits for an output line matching {@code regex} (anywhere in the output so far) and returns
   * that line. Fails with the process's last lines if it exits or times out.
   */
  synchronized String awaitLine(String regex, Duration timeout) {
    Matcher m = awaitMatch("^.*(?:" + regex + ").*$", timeout);
    return m.group();
  }

  private Matcher awaitMatch(String regex, Duration timeout) {
    Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
    long deadline = System.nanoTime() + timeout.toNanos();
    int from = 0;
    try {
      while (true) {
        Matcher m = p.matcher(seen);
        if (m.find(from)) {
          return m;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || !process.isAlive()) {
          throw new IllegalStateException(name + (process.isAlive() ? " did not print /" + regex + "/ within " + timeout.toSeconds() + " s"
            : " exited with code " + process.exitValue()) + "; its last lines:\n  " + String.join("\n  ", tail));
        }
        wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Writes one line to the process's standard input (a command for a load-client process). */
  void send(String line) {
    try {
      var in = process.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to " + name, e);
    }
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  ProcStats stats() {
    return ProcStats.of(process.pid());
  }

  /** Runs a full GC in the process ({@code jcmd GC.run}) and returns the heap in use after it. */
  long heapAfterGc() {
    if (!jvm) {
      throw new IllegalStateException(name + " is not a JVM: no heap figure");
    }
    jcmd("GC.run");
    Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
    if (!m.find()) {
      throw new IllegalStateException("jcmd GC.heap_info of " + name + " printed no heap figure");
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  /** The live objects by class ({@code jcmd GC.class_histogram}), the first {@code lines} lines. */
  String classHistogram(int lines) {
    return String.join("\n", jcmd("GC.class_histogram").lines().limit(lines).toList()) + "\n";
  }

  private String jcmd(String command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + command + " failed for " + name + ": " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code kill -9}: the JVM ends at once, without any shutdown work. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }
}
