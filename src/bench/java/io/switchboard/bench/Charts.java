package io.switchboard.bench;

import io.vertx.core.json.JsonObject;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.CategorySeries;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The PNG charts of a run, drawn with XChart from results.json's figures and raw data. */
final class Charts {

  static final double[] CURVE_PERCENTILES = {50, 75, 90, 95, 99, 99.5, 99.9};
  static final int WIDTH = 900;
  static final int HEIGHT = 500;

  private final Path dir;
  private final List<String> written = new ArrayList<>();

  Charts(Path dir) {
    this.dir = dir;
  }

  /** The files written, relative to the results directory. */
  List<String> written() {
    return written;
  }

  /** Draws every chart the scenarios have data for; a chart that fails is skipped with a message. */
  void draw(Map<String, Scenario.Outcome> outcomes) {
    Scenario.Outcome echo = outcomes.get("echo");
    if (echo != null) {
      percentileLines("echo-latency.png", "echo: latency percentiles, open loop (lower is better)", echo.raw(), "openLoop");
      figureBars("echo-throughput.png", "echo: peak throughput, closed loop (higher is better)", "msg/s", echo, "peak throughput");
      figureBars("echo-cpu.png", "echo: server CPU per message, all server JVMs (lower is better)", "µs", echo, "server CPU per message at");
    }
    Scenario.Outcome fanout = outcomes.get("fanout");
    if (fanout != null) {
      figureBars("fanout-cpu.png", "fanout: server CPU per delivery (lower is better)", "µs", fanout, "server CPU per delivery");
      figureBars("fanout-latency.png", "fanout: p99 latency (lower is better)", "ms", fanout, "p99 latency");
    }
    Scenario.Outcome idle = outcomes.get("idle");
    if (idle != null) {
      figureBars("idle-memory.png", "idle: memory per connection (lower is better)", "KB", idle, "per idle socket", "per socket", "per session");
      idleCurve("idle-memory-curve.png", "idle: gateway heap after GC against idle sockets (lower is better)", idle.raw(), "heapCurveMb");
      idleCurve("idle-rss-curve.png", "idle: gateway RSS growth against idle sockets (lower is better)", idle.raw(), "rssCurveMb");
    }
    Scenario.Outcome connect = outcomes.get("connect");
    if (connect != null) {
      figureBars("connect-rate.png", "connect: handshakes per second (higher is better)", "/s", connect, "handshakes/s");
    }
  }

  /** One line per target: latency at each percentile. */
  private void percentileLines(String file, String title, JsonObject raw, String phase) {
    CategoryChart chart = chart(title, "percentile", "ms");
    chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
    List<String> xs = new ArrayList<>();
    for (double p : CURVE_PERCENTILES) {
      xs.add("p" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)));
    }
    for (String target : Target.ALL) {
      JsonObject t = raw.getJsonObject(target);
      if (t == null || t.getJsonObject(phase) == null) {
        continue;
      }
      JsonObject curve = t.getJsonObject(phase).getJsonObject("percentiles");
      List<Double> ys = new ArrayList<>();
      for (double p : CURVE_PERCENTILES) {
        ys.add(curve.getDouble(Double.toString(p)));
      }
      chart.addSeries(target, xs, ys);
    }
    save(file, chart);
  }

  /** One line per target: the gateway's memory growth (heap after a full GC, or RSS) against the idle sockets it holds. */
  private void idleCurve(String file, String title, JsonObject raw, String key) {
    try {
      idleCurveOrFail(file, title, raw, key);
    } catch (RuntimeException e) { // e.g. targets that opened different counts: XChart wants one x axis
      System.out.println("bench: chart " + file + " not drawn: " + e);
    }
  }

  private void idleCurveOrFail(String file, String title, JsonObject raw, String key) {
    CategoryChart chart = chart(title, "sockets", "MB");
    chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW); // the lines rise to the right: the top left is free
    chart.getStyler().setOverlapped(true); // every series on the same x positions
    for (String target : Target.ALL) {
      JsonObject t = raw.getJsonObject(target);
      if (t == null || t.getJsonArray(key) == null) {
        continue;
      }
      List<String> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (Object point : t.getJsonArray(key)) {
        io.vertx.core.json.JsonArray p = (io.vertx.core.json.JsonArray) point;
        xs.add(String.valueOf(p.getInteger(0)));
        ys.add(p.getDouble(1));
      }
      chart.addSeries(target, xs, ys);
    }
    if (!chart.getSeriesMap().isEmpty()) {
      save(file, chart);
    }
  }

  /** Grouped bars: one group per figure whose metric contains one of the words, one bar per target. */
  private void figureBars(String file, String title, String unit, Scenario.Outcome outcome, String... metricWords) {
    List<Figure> rows = new ArrayList<>();
    for (Figure f : outcome.figures()) {
      for (String w : metricWords) {
        if (f.metric().contains(w) && !f.values().isEmpty()) {
          rows.add(f);
          break;
        }
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    CategoryChart chart = chart(title, "", unit);
    Map<String, List<Double>> series = new LinkedHashMap<>();
    List<String> groups = new ArrayList<>();
    for (Figure f : rows) {
      groups.add(shorten(f.metric()));
    }
    for (String target : Target.ALL) {
      List<Double> ys = new ArrayList<>();
      boolean any = false;
      for (Figure f : rows) {
        Double v = f.values().get(target);
        ys.add(v == null ? 0.0 : v);
        any |= v != null;
      }
      if (any) {
        series.put(target, ys);
      }
    }
    series.forEach((target, ys) -> chart.addSeries(target, groups, ys));
    save(file, chart);
  }

  /** A figure's metric as a bar group label: no parentheses, up to its second comma, at most 44 characters. */
  static String shorten(String metric) {
    String label = metric.replaceAll("\\s*\\([^)]*\\)", "");
    int first = label.indexOf(',');
    int second = first < 0 ? -1 : label.indexOf(',', first + 1);
    label = second > 0 ? label.substring(0, second) : label;
    return label.length() <= 44 ? label : label.substring(0, 43) + "…";
  }

  private static CategoryChart chart(String title, String x, String y) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
    CategoryStyler s = chart.getStyler();
    s.setLegendPosition(Styler.LegendPosition.InsideNE);
    s.setChartBackgroundColor(java.awt.Color.WHITE);
    s.setToolTipsEnabled(false);
    return chart;
  }

  private void save(String file, CategoryChart chart) {
    try {
      BitmapEncoder.saveBitmap(chart, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
      written.add(file);
    } catch (IOException | RuntimeException e) {
      System.out.println("bench: chart " + file + " not drawn: " + e);
    }
  }
}
