package io.switchboard.testing;

import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One real headless Chromium showing a chat page (the WebSocket page {@code /} or the bridge page
 * {@code /bridge.html}: the same markup), driven as a person would: type a name, create or pick a
 * room, say something, read the messages. Uses the system's {@code chromium} and
 * {@code chromedriver} (Debian packages, checked by {@link Prerequisites}); Selenium never
 * downloads anything.
 */
public final class ChatPage implements AutoCloseable {

  /** How long a page may take to show what a step expects. */
  public static final Duration WAIT = Duration.ofSeconds(30);

  private final String name;
  private final HeadlessChromium browser;
  private final WebDriver driver;

  private ChatPage(String name, HeadlessChromium browser) {
    this.name = name;
    this.browser = browser;
    this.driver = browser.driver();
  }

  /** Starts a fresh Chromium (its own temporary profile, {@link HeadlessChromium}) and opens {@code url}. */
  public static ChatPage open(String name, String url) {
    ChatPage page = new ChatPage(name, HeadlessChromium.start(1100, 800));
    page.driver.get(url);
    return page;
  }

  /** Waits until the status line contains {@code text} (e.g. {@code connected}). */
  public void awaitStatus(String text, Duration timeout) {
    await("status \"" + text + "\"", timeout, d -> statusText().contains(text));
  }

  public String statusText() {
    return driver.findElement(By.id("status")).getText();
  }

  /** Types the name and submits it, then waits until the page says it is connected under it. */
  public void setName(String person) {
    WebElement input = driver.findElement(By.id("name"));
    input.clear();
    input.sendKeys(person);
    driver.findElement(By.cssSelector("#name-form button")).click();
    awaitStatus("connected as " + person, WAIT);
  }

  /** Creates a room (the page joins it too) and waits until it is the current room. */
  public void createRoom(String room) {
    driver.findElement(By.id("new-room")).sendKeys(room);
    driver.findElement(By.cssSelector("#create-form button")).click();
    awaitRoom(room);
  }

  /** Waits for the room in the list, clicks it, waits until it is the current room. */
  public void joinRoom(String room) {
    By item = By.cssSelector("#rooms li[data-room='" + room + "']");
    await("room " + room + " in the list", WAIT, d -> !d.findElements(item).isEmpty());
    driver.findElement(item).click();
    awaitRoom(room);
  }

  public void awaitRoom(String room) {
    await("being in room " + room, WAIT, d -> ("Room: " + room).equals(d.findElement(By.id("room-title")).getText()));
  }

  /** The member count the room list shows for {@code room}. */
  public void awaitCount(String room, int count) {
    By cell = By.cssSelector("#rooms li[data-room='" + room + "'] .count");
    await(room + " showing " + count + " member(s)", WAIT,
      d -> d.findElements(cell).stream().anyMatch(e -> e.getText().equals(Integer.toString(count))));
  }

  public void say(String text) {
    WebElement input = driver.findElement(By.id("message"));
    input.sendKeys(text);
    driver.findElement(By.id("send")).click();
  }

  /** Waits for a chat message from {@code who} in the message list. */
  public void awaitMessage(String who, String text) {
    await(who + "'s message \"" + text + "\"", WAIT, d -> d.findElements(By.cssSelector("#messages li")).stream()
      .anyMatch(li -> !li.findElements(By.tagName("b")).isEmpty()
        && li.findElement(By.tagName("b")).getText().equals(who)
        && li.getText().equals(who + text)));
  }

  /** Waits for a notice (e.g. {@code bea joined the room}) in the message list. */
  public void awaitNotice(String text) {
    await("the notice \"" + text + "\"", WAIT, d -> d.findElements(By.cssSelector("#messages li.info")).stream()
      .anyMatch(li -> li.getText().equals(text)));
  }

  /** The texts of {@code who}'s chat messages the page shows, in order (duplicates included). */
  public List<String> messagesFrom(String who) {
    List<String> texts = new ArrayList<>();
    for (WebElement li : driver.findElements(By.cssSelector("#messages li"))) {
      List<WebElement> b = li.findElements(By.tagName("b"));
      if (!b.isEmpty() && b.get(0).getText().equals(who)) {
        texts.add(li.getText().substring(who.length()));
      }
    }
    return texts;
  }

  /** Whether the element with this id is shown (present and not {@code hidden}). */
  public boolean shows(String id) {
    List<WebElement> found = driver.findElements(By.id(id));
    return !found.isEmpty() && found.get(0).isDisplayed();
  }

  /**
   * Cuts this browser off the network as DevTools' "Offline" does: sockets already open stay open,
   * every new connection (a WebSocket too) fails at once. {@code false} restores the network.
   */
  public void offline(boolean offline) {
    ChromeDriver chrome = browser.driver();
    chrome.executeCdpCommand("Network.enable", Map.of());
    chrome.executeCdpCommand("Network.emulateNetworkConditions",
      Map.of("offline", offline, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
  }

  /** Runs a script in the page (Selenium's executeScript); returns its result. */
  public Object script(String js, Object... args) {
    return browser.driver().executeScript(js, args);
  }

  /** Saves a screenshot under {@code target/it-logs/}; returns its path. */
  public Path screenshot(String file) {
    try {
      Path target = Path.of("target", "it-logs", file);
      Files.createDirectories(target.getParent());
      File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
      Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private void await(String what, Duration timeout, ExpectedCondition<Boolean> condition) {
    try {
      new WebDriverWait(driver, timeout, Duration.ofMillis(100)).withMessage(name + " waited for " + what)
        .ignoring(StaleElementReferenceException.class) // the page re-renders its lists on every event
        .until(condition);
    } catch (RuntimeException e) {
      throw new AssertionError(name + ": no " + what + " within " + timeout.toSeconds() + " s; page shows:\n"
        + driver.findElement(By.tagName("body")).getText(), e);
    }
  }

  @Override
  public void close() {
    browser.close();
  }
}
