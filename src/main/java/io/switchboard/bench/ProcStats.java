package io.switchboard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the kernel says about one process: CPU time from {@code /proc/<pid>/stat} (user + system,
 * in clock ticks of 10 ms; the system part separately) and resident memory from {@code /proc/<pid>/status} ({@code VmRSS}).
 */
public record ProcStats(long cpuNanos, long sysNanos, long rssBytes) {

  /** Linux's USER_HZ: clock ticks per second in /proc/<pid>/stat. */
  public static final long TICKS_PER_SECOND = 100;

  /** Reads the current figures of a live process. */
  public static ProcStats of(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // the command name (field 2) is in parentheses and may contain spaces: count after it
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long sys = Long.parseLong(fields[12]); // stime (field 15)
      long ticks = Long.parseLong(fields[11]) + sys; // + utime (field 14)
      long rssKb = 0;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          rssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      long nanosPerTick = 1_000_000_000L / TICKS_PER_SECOND;
      return new ProcStats(ticks * nanosPerTick, sys * nanosPerTick, rssKb * 1024);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + ": " + e.getMessage(), e);
    }
  }

  /** The figures of this very JVM (the load client). */
  public static ProcStats self() {
    return of(ProcessHandle.current().pid());
  }
}
