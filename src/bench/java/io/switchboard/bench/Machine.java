package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** What the run's machine is, for the report. */
final class Machine {

  private Machine() {
  }

  static JsonObject describe(JvmCommand jvm) {
    return new JsonObject()
      .put("date", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
      .put("cpu", cpuModel())
      .put("cores", Runtime.getRuntime().availableProcessors())
      .put("memoryMb", memoryMb())
      .put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
      .put("loadAverage", read("/proc/loadavg").split(" ").length >= 3 ? String.join(" ", java.util.Arrays.copyOf(read("/proc/loadavg").split(" "), 3)) : "?")
      .put("serverFlags", jvm.usesLauncherFlags() ? "launcher/vertx's DEFAULT_JAVA_OPTS (-Xms64m -Xmx1g -XX:+UseG1GC -XX:MaxHeapFreeRatio=30 ...)"
        : "smoke-test flags " + JvmCommand.FALLBACK_JAVA_OPTS);
  }

  private static String cpuModel() {
    for (String line : read("/proc/cpuinfo").split("\n")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "unknown CPU";
  }

  private static long memoryMb() {
    for (String line : read("/proc/meminfo").split("\n")) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return 0;
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      return "";
    }
  }
}
