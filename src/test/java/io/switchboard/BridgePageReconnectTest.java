package io.switchboard;

import io.switchboard.testing.HeadlessChromium;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bridge page ({@code /bridge.html}) in real headless Chromium, after its event-bus socket
 * dropped and came back: the service still announces, to the room the page re-joined, that the
 * page's previous socket left under the user's own name. That is no news to the user and must
 * not show as "&lt;me&gt; left the room"; another user's leaving still shows.
 */
@DisplayName("The bridge page, reconnected after its socket dropped")
@Timeout(300)
class BridgePageReconnectTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String ROOM = "den";

  private static final TestCluster cluster = new TestCluster();
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static HeadlessChromium chromium;
  private static ChromeDriver page;

  @BeforeAll
  static void start() {
    chromium = HeadlessChromium.start(1000, 800); // first: a missing browser fails at once
    page = chromium.driver();
    int port = TestCluster.freePort();
    gateway = JvmProcess.launch("bridge-reconnect-gateway", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1"),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    gateway.await("Succeeded in deploying verticle", 90_000);
    services = JvmProcess.launch("bridge-reconnect-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("Service host deployed", 90_000);
    page.get("http://127.0.0.1:" + port + "/bridge.html");
    // keeps a handle on the page's event bus (bridge.js keeps it private) and counts its opens
    js("const register = EventBus.prototype.registerHandler;"
      + "window.__opens = 0;"
      + "EventBus.prototype.registerHandler = function () {"
      + "  if (window.__eb !== this) {"
      + "    window.__eb = this;"
      + "    const onopen = this.onopen;"
      + "    this.onopen = function () { window.__opens++; onopen.apply(this, arguments); };"
      + "  }"
      + "  return register.apply(this, arguments);"
      + "};");
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[]{chromium, services, gateway}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // keep closing the others
      }
    }
  }

  @Test
  @DisplayName("does not say that its own user left the room, and still says it of others")
  void noOwnLeftNotice() {
    await("the page connected", d -> status().contains("connected"));
    page.findElement(By.id("name")).sendKeys("bea");
    page.findElement(By.cssSelector("#name-form button")).click();
    await("connected as bea", d -> status().contains("connected as bea"));
    page.findElement(By.id("new-room")).sendKeys(ROOM);
    page.findElement(By.cssSelector("#create-form button")).click();
    await("in room " + ROOM, d -> ("Room: " + ROOM).equals(d.findElement(By.id("room-title")).getText()));
    await("listening on the room", d -> roomHandlers() > 0);

    // the socket drops; the page reconnects by itself, names itself and re-joins the room
    js("window.__eb.sockJSConn.close();");
    await("the page reconnected and back in its room", d -> ((Number) js("return window.__opens;")).intValue() >= 1
      && status().contains("connected as bea") && roomHandlers() > 0);

    // the service's notice about the previous socket arrives now, then another user comes and goes
    deliverToRoom("{type: 'event', event: {type: 'logoff', name: 'bea'}}");
    deliverToRoom("{type: 'event', event: {type: 'newuser', name: 'zed'}}");
    deliverToRoom("{type: 'event', event: {type: 'logoff', name: 'zed'}}");
    await("zed's leaving shown", d -> notices().contains("zed left the room"));
    assertTrue(notices().contains("zed joined the room"), notices().toString());
    assertEquals(0, notices().stream().filter(n -> n.equals("bea left the room")).count(), notices().toString());
    assertEquals("Room: " + ROOM, page.findElement(By.id("room-title")).getText());
  }

  /** Hands a room event to the page's handlers of the room address, as the bridge would deliver it. */
  private static void deliverToRoom(String body) {
    js("window.__eb.handlers['demo.chat.room." + ROOM + "'].forEach(h => h(null, {body: " + body + "}));");
  }

  private static int roomHandlers() {
    return ((Number) js("const h = window.__eb && window.__eb.handlers['demo.chat.room." + ROOM + "'];"
      + "return h ? h.length : 0;")).intValue();
  }

  private static String status() {
    return page.findElement(By.id("status")).getText();
  }

  private static List<String> notices() {
    return page.findElements(By.cssSelector("#messages li.info")).stream().map(e -> e.getText()).toList();
  }

  private static Object js(String script) {
    return ((JavascriptExecutor) page).executeScript(script);
  }

  private static void await(String what, Function<WebDriver, Boolean> condition) {
    new WebDriverWait(page, WAIT).withMessage(what).until(condition::apply);
  }
}
