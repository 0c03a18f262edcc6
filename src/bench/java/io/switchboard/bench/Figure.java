package io.switchboard.bench;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of the report: a figure for each target measured in the same run, the goal it is held
 * to, and whether ours met it ({@code null}: no goal, or not measurable yet, see {@code note}).
 */
record Figure(String scenario, String metric, String unit, Map<String, Double> values, String goal, Boolean met, String note) {

  static Figure of(String scenario, String metric, String unit) {
    return new Figure(scenario, metric, unit, new LinkedHashMap<>(), "", null, "");
  }

  Figure value(String target, double v) {
    values.put(target, v);
    return this;
  }

  Figure goal(String goal, Boolean met) {
    return new Figure(scenario, metric, unit, values, goal, met, note);
  }

  Figure note(String note) {
    return new Figure(scenario, metric, unit, values, goal, met, note);
  }

  Double ours() {
    return values.get(Target.SWITCHBOARD);
  }

  /** Ours divided by a baseline's figure; null when either is missing or the baseline is not positive. */
  Double ratio(String baseline) {
    Double b = values.get(baseline);
    Double o = ours();
    return o == null || b == null || b <= 0 ? null : o / b;
  }

  JsonObject toJson() {
    JsonObject v = new JsonObject();
    values.forEach(v::put);
    JsonObject ratios = new JsonObject();
    for (String t : Target.ALL) {
      Double r = t.equals(Target.SWITCHBOARD) ? null : ratio(t);
      if (r != null) {
        ratios.put(t, Math.round(r * 100) / 100.0);
      }
    }
    return new JsonObject().put("scenario", scenario).put("metric", metric).put("unit", unit).put("values", v)
      .put("ratioOursTo", ratios).put("goal", goal).put("met", met).put("note", note);
  }
}
