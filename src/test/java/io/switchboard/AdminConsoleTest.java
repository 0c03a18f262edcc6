package io.switchboard;

import io.switchboard.testing.HeadlessChromium;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.Prerequisites;
import io.switchboard.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin console ({@code /admin/}) in real headless Chromium, over a gateway JVM and a
 * services JVM, while WebSockets on {@code /echo} keep sending: its live charts are drawn from
 * the gateway's {@code /metrics} and move every second.
 */
@DisplayName("The admin console in Chromium, with echo traffic flowing")
@Timeout(300)
class AdminConsoleTest {

  private static final String TOKEN = "console-test-token";
  private static final int SOCKETS = 3;
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static final TestCluster cluster = new TestCluster();
  private static int port;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static HeadlessChromium chromium;
  private static ChromeDriver browser;
  private static final List<WebSocket> sockets = new ArrayList<>();
  private static final AtomicLong echoed = new AtomicLong();
  private static final ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();

  @BeforeAll
  static void start() throws Exception {
    Prerequisites.chromium(); // before starting JVMs: a missing browser fails at once, saying what to install
    Prerequisites.chromedriver();
    port = TestCluster.freePort();
    gateway = JvmProcess.launch("admin-console-gateway", cluster.jvmArgs(), Map.of("SWITCHBOARD_PORT",
        Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1", "SWITCHBOARD_ADMIN_TOKEN", TOKEN),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    gateway.await("Succeeded in deploying verticle", 90_000);
    services = JvmProcess.launch("admin-console-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("Service host deployed", 90_000);
    chromium = HeadlessChromium.start(1100, 900);
    browser = chromium.driver();
  }

  @AfterAll
  static void stop() throws Exception {
    traffic.shutdownNow();
    for (WebSocket ws : sockets) {
      ws.abort();
    }
    if (chromium != null) {
      chromium.close();
    }
    for (JvmProcess p : new JvmProcess[]{services, gateway}) {
      if (p != null) {
        p.close();
      }
    }
  }

  @Test
  @DisplayName("charts sessions and messages per second for the gateway and for each service, and the charts move")
  void liveCharts() throws Exception {
    openEchoTraffic();
    browser.get("http://127.0.0.1:" + port + "/admin/");
    browser.findElement(By.id("token")).sendKeys(TOKEN);
    browser.findElement(By.cssSelector("#token-form button")).click();

    By echo = By.cssSelector("#charts .chart[data-chart='echo']");
    By all = By.cssSelector("#charts .chart[data-chart='(all services)']");
    await("the echo chart showing " + SOCKETS + " sessions and messages in and out", d ->
      !d.findElements(echo).isEmpty() && attr(echo, "sessions").equals(Integer.toString(SOCKETS))
        && Double.parseDouble(attr(echo, "inRate")) > 0 && Double.parseDouble(attr(echo, "outRate")) > 0);
    await("the gateway chart counting the echo sessions", d ->
      !d.findElements(all).isEmpty() && Integer.parseInt(attr(all, "sessions")) >= SOCKETS);
    WebElement card = browser.findElement(echo);
    assertEquals(2, card.findElements(By.tagName("canvas")).size(), "a sessions chart and a rates chart");
    assertTrue(card.findElement(By.cssSelector(".figures")).getText().matches(SOCKETS + " open, [0-9.k]+ in/s, [0-9.k]+ out/s"),
      card.findElement(By.cssSelector(".figures")).getText());

    // every second a new sample: the sample count, the message total and the drawing all change
    int samples = Integer.parseInt(attr(echo, "samples"));
    long inTotal = Long.parseLong(attr(echo, "inTotal").replaceAll("\\.0$", ""));
    String drawing = canvasPixels("echo", "rates");
    await("a later sample in the echo chart", d -> Integer.parseInt(attr(echo, "samples")) > samples
      && Long.parseLong(attr(echo, "inTotal").replaceAll("\\.0$", "")) > inTotal);
    await("the echo rates chart redrawn with new points", d -> !canvasPixels("echo", "rates").equals(drawing));
    assertTrue(echoed.get() > 0, "the echo service answered the traffic");

    // the tables below the charts come from the admin API
    await("the services table listing echo", d -> d.findElement(By.id("services")).getText().contains("echo"));
    Path shot = Path.of("target", "admin-console.png");
    Files.createDirectories(shot.getParent());
    Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  @DisplayName("keeps the Use token button on one line in a narrow window")
  void tokenButtonDoesNotWrap() {
    browser.get("http://127.0.0.1:" + port + "/admin/");
    Dimension before = browser.manage().window().getSize();
    try {
      browser.manage().window().setSize(new Dimension(360, 700));
      WebElement button = browser.findElement(By.cssSelector("#token-form button"));
      WebElement input = browser.findElement(By.id("token"));
      assertTrue(button.getSize().getHeight() <= input.getSize().getHeight() + 4,
        "button " + button.getSize() + " is taller than the input " + input.getSize() + ": its text wrapped");
    } finally {
      browser.manage().window().setSize(before);
    }
  }

  @Test
  @DisplayName("serves a favicon at /favicon.ico")
  void favicon() throws IOException, InterruptedException {
    HttpResponse<byte[]> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
      URI.create("http://127.0.0.1:" + port + "/favicon.ico")).timeout(Duration.ofSeconds(10)).build(),
      HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, res.statusCode());
    assertArrayEquals(new byte[]{0, 0, 1, 0}, java.util.Arrays.copyOf(res.body(), 4), "an ICO file");
    assertNotEquals(-1, res.headers().firstValue("content-type").orElse("").indexOf("icon"), res.headers().toString());
  }

  /** {@link #SOCKETS} WebSockets on /echo, each sending a message every 20 ms until the test ends. */
  private static void openEchoTraffic() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    WebSocket.Listener listener = new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        echoed.incrementAndGet();
        ws.request(1);
        return null;
      }
    };
    for (int i = 0; i < SOCKETS; i++) {
      sockets.add(client.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/echo"), listener).get(30, TimeUnit.SECONDS));
    }
    Map<WebSocket, CompletableFuture<WebSocket>> sending = new ConcurrentHashMap<>();
    traffic.scheduleAtFixedRate(() -> sockets.forEach(ws -> {
      CompletableFuture<WebSocket> previous = sending.get(ws);
      if (previous == null || previous.isDone()) { // one send at a time per socket, as WebSocket requires
        sending.put(ws, ws.sendText("hello", true));
      }
    }), 0, 20, TimeUnit.MILLISECONDS);
  }

  private static String attr(By card, String name) {
    return browser.findElement(card).getDomAttribute("data-" + name.replaceAll("([A-Z])", "-$1").toLowerCase());
  }

  private static String canvasPixels(String chart, String canvas) {
    return (String) ((JavascriptExecutor) browser).executeScript(
      "return document.querySelector(\"#charts .chart[data-chart='\" + arguments[0] + \"'] canvas.\" + arguments[1]).toDataURL();",
      chart, canvas);
  }

  private static void await(String what, java.util.function.Function<org.openqa.selenium.WebDriver, Boolean> condition) {
    new WebDriverWait(browser, WAIT).withMessage(what).ignoring(NumberFormatException.class)
      .ignoring(NullPointerException.class).until(condition::apply);
  }
}
