package io.switchboard.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the kernel says about one process: CPU time from {@code /proc/<pid>/stat} (user + system,
 * in clock ticks of 10 ms; the system part separately), the part of it spent by the JIT compiler
 * threads (from {@code /proc/<pid>/task/<tid>/stat}), and resident memory ({@code VmRSS} in
 * {@code /proc/<pid>/status}).
 */
public record ProcStats(long cpuNanos, long sysNanos, long jitNanos, long rssBytes) {

  /** Linux's USER_HZ: clock ticks per second in /proc/<pid>/stat. */
  public static final long TICKS_PER_SECOND = 100;
  private static final long NANOS_PER_TICK = 1_000_000_000L / TICKS_PER_SECOND;

  /** Reads the current figures of a live process. */
  public static ProcStats of(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid));
    try {
      long[] ticks = ticks(Files.readString(proc.resolve("stat")));
      long jit = 0;
      try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
        for (Path task : tasks) {
          String stat = readIfThere(task.resolve("stat"));
          if (stat != null && (stat.contains("(C1 CompilerThre") || stat.contains("(C2 CompilerThre"))) {
            long[] t = ticks(stat);
            jit += t[0] + t[1];
          }
        }
      }
      long rssKb = 0;
      for (String line : Files.readAllLines(proc.resolve("status"))) {
        if (line.startsWith("VmRSS:")) {
          rssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      return new ProcStats((ticks[0] + ticks[1]) * NANOS_PER_TICK, ticks[1] * NANOS_PER_TICK, jit * NANOS_PER_TICK, rssKb * 1024);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read " + proc + ": " + e.getMessage(), e);
    }
  }

  /** The figures of this very JVM (the load client). */
  public static ProcStats self() {
    return of(ProcessHandle.current().pid());
  }

  /** CPU time outside the JIT compiler threads: the work itself (plus GC and the rest). */
  public long workNanos() {
    return cpuNanos - jitNanos;
  }

  /** utime and stime (fields 14 and 15) of a stat line. */
  private static long[] ticks(String stat) {
    // the command name (field 2) is in parentheses and may contain spaces: count after it
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
  }

  private static String readIfThere(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return null; // the thread ended meanwhile
    }
  }
}
