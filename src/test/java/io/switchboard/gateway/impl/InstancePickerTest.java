package io.switchboard.gateway.impl;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The gateway's instance picker")
class InstancePickerTest {

  private final InstancePicker<String> picker = new InstancePicker<>();
  private static final List<String> THREE = List.of("a", "b", "c");

  @Test
  @DisplayName("picks the instance holding the fewest of this node's sessions")
  void fewestSessions() {
    picker.bind("s1", "a");
    picker.bind("s2", "a");
    picker.bind("s3", "b");
    for (int i = 0; i < THREE.size(); i++) {
      assertEquals("c", picker.pick("svc", THREE, Set.of()), "pick " + i);
    }
  }

  @Test
  @DisplayName("spreads sessions evenly when each pick is bound")
  void spreadsEvenly() {
    for (int i = 0; i < 30; i++) {
      picker.bind("s" + i, picker.pick("svc", THREE, Set.of()));
    }
    for (String instance : THREE) {
      assertEquals(10, picker.count(instance), instance);
    }
  }

  @Test
  @DisplayName("goes round-robin among instances holding equally many")
  void roundRobinAmongEquals() {
    Set<String> picked = new HashSet<>();
    for (int i = 0; i < THREE.size(); i++) {
      picked.add(picker.pick("svc", THREE, Set.of()));
    }
    assertEquals(Set.copyOf(THREE), picked);
  }

  @Test
  @DisplayName("spreads each service's opens still in flight, even when another service's picks interleave")
  void roundRobinPerService() {
    List<String> two = List.of("a", "b");
    List<String> otherTwo = List.of("x", "y");
    Map<String, Integer> picked = new HashMap<>();
    for (int i = 0; i < 6; i++) {
      // nothing is bound yet (the opens are in flight), and another service's pick comes between
      picked.merge(picker.pick("rebind", two, Set.of()), 1, Integer::sum);
      picker.pick("close", otherTwo, Set.of());
    }
    assertEquals(Map.of("a", 3, "b", 3), picked);
  }

  @Test
  @DisplayName("never picks an excluded instance, even the least loaded")
  void exclusions() {
    picker.bind("s1", "b");
    picker.bind("s2", "c");
    for (int i = 0; i < THREE.size(); i++) {
      String pick = picker.pick("svc", THREE, Set.of("a"));
      assertTrue(pick.equals("b") || pick.equals("c"), pick);
    }
  }

  @Test
  @DisplayName("picks nothing when the service has no instance or all are excluded")
  void nothingToPick() {
    assertNull(picker.pick("svc", List.of(), Set.of()));
    assertNull(picker.pick("svc", THREE, Set.copyOf(THREE)));
  }

  @Test
  @DisplayName("lists the sessions an instance holds, and forgets them when unbound")
  void boundTo() {
    picker.bind("s1", "a");
    picker.bind("s2", "a");
    picker.bind("s3", "b");
    assertEquals(List.of("s1", "s2"), picker.boundTo("a"));
    assertEquals(List.of(), picker.boundTo("c"));
    for (String session : picker.boundTo("a")) {
      picker.unbind(session, "a"); // a copy: unbinding while iterating is safe
    }
    assertEquals(List.of(), picker.boundTo("a"));
    assertEquals(0, picker.count("a"));
    assertEquals(1, picker.count("b"));
  }

  @Test
  @DisplayName("counts an unbound session's instance down, so that it is picked again")
  void unbindRebalances() {
    picker.bind("s1", "a");
    picker.bind("s2", "b");
    picker.bind("s3", "c");
    picker.unbind("s2", "b");
    picker.unbind("s2", "b"); // twice: no effect
    assertEquals(0, picker.count("b"));
    assertEquals("b", picker.pick("svc", THREE, Set.of()));
  }
}
