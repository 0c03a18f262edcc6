package io.switchboard.launcher;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@DisplayName("The event-loop count of a Switchboard JVM")
class EventLoopsTest {

  private static final Properties NONE = new Properties();

  @Test
  @DisplayName("is one per verticle instance: 1 by default, N with -instances N (both spellings)")
  void perInstance() {
    assertEquals(1, EventLoops.choose(List.of("run", "V", "-cluster"), Map.of(), NONE));
    assertEquals(4, EventLoops.choose(List.of("run", "V", "-instances", "4"), Map.of(), NONE));
    assertEquals(3, EventLoops.choose(List.of("run", "V", "-instances=3"), Map.of(), NONE));
  }

  @Test
  @DisplayName("is SWITCHBOARD_EVENT_LOOPS when set, over -instances")
  void environment() {
    assertEquals(6, EventLoops.choose(List.of("run", "V", "-instances", "2"), Map.of(EventLoops.ENV, " 6 "), NONE));
  }

  @Test
  @DisplayName("is left to Vert.x when -options (inline or a file) or -Dvertx.options.eventLoopPoolSize sets it")
  void explicit(@TempDir Path dir) throws Exception {
    assertEquals(0, EventLoops.choose(List.of("run", "V", "-options", "{\"eventLoopPoolSize\": 8}"), Map.of(), NONE));
    Path file = Files.writeString(dir.resolve("options.json"), "{\n  \"eventLoopPoolSize\": 8\n}\n");
    assertEquals(0, EventLoops.choose(List.of("run", "V", "-options", file.toString()), Map.of(), NONE));
    Properties property = new Properties();
    property.setProperty(EventLoops.PROPERTY, "8");
    assertEquals(0, EventLoops.choose(List.of("run", "V"), Map.of(), property));
    // options that say nothing of the pool leave the default of one loop per instance
    assertEquals(1, EventLoops.choose(List.of("run", "V", "-options", "{\"blockedThreadCheckInterval\": 5000}"), Map.of(), NONE));
  }

  @Test
  @DisplayName("refuses a SWITCHBOARD_EVENT_LOOPS or -instances that is no count from 1 to 1024, naming it")
  void refused() {
    assertNull(EventLoops.check(List.of("run", "V", "-instances", "2"), Map.of(EventLoops.ENV, "4")));
    assertEquals("SWITCHBOARD_EVENT_LOOPS must be a number of event loops from 1 to 1024, got \"0\"",
      EventLoops.check(List.of("run", "V"), Map.of(EventLoops.ENV, "0")));
    assertEquals("-instances must be a number from 1 to 1024, got \"two\"",
      EventLoops.check(List.of("run", "V", "-instances", "two"), Map.of()));
  }
}
