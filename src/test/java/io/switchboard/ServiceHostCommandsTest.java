package io.switchboard;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.registry.Announce;
import io.switchboard.host.ServiceHost;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A service host's deploy commands sent straight on the bus, as any cluster member could (one
 * JVM): the allow-list holds without the admin API, a command cannot make the host read a file,
 * and no error quotes a file.
 */
@DisplayName("A service host checks every deploy command, whoever sends it")
class ServiceHostCommandsTest {

  private static final String SECRET = "s3cr3t-first-token";
  private Vertx vertx;
  private Path secret;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    secret = Files.createDirectories(Path.of("target", "host-commands-test")).resolve("secret.txt");
    Files.writeString(secret, SECRET + " more\n");
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("refuses a source file (403) and a command that names a config file (400), quoting neither")
  void commandsFromTheBus() throws Exception {
    Promise<String> announced = Promise.promise();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY, m -> {
      if (Announce.ROLE_HOST.equals(m.body().getString(Announce.ROLE))) {
        announced.tryComplete(m.body().getString(Announce.INSTANCE));
      }
    }).completion());
    await(vertx.deployVerticle(ServiceHost.class.getName(),
      new DeploymentOptions().setConfig(new JsonObject().put("services", new JsonArray()))));
    String host = await(announced.future());

    ReplyException source = refusal(host, new JsonObject().put("verticle", "Evil.java"));
    assertEquals(403, source.failureCode());
    ReplyException file = refusal(host, new JsonObject().put("verticle", "io.switchboard.demo.EchoService")
      .put("conf", secret.toString()));
    assertEquals(400, file.failureCode());
    assertTrue(file.getMessage().contains("unknown key \"conf\""), file.getMessage());
    assertFalse(file.getMessage().contains("s3cr3t"), file.getMessage());
  }

  @Test
  @DisplayName("fails to start on a config file that is not JSON, naming the file and the place, not the content")
  void ownConfigFile() {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(vertx.deployVerticle(
      ServiceHost.class.getName(), new DeploymentOptions().setConfig(new JsonObject().put("services", new JsonArray()
        .add(new JsonObject().put("verticle", "io.switchboard.demo.EchoService").put("conf", secret.toString())))))));
    assertTrue(e.getCause().getMessage().contains("secret.txt is not a JSON object (line 1, column"), e.getCause().getMessage());
    assertFalse(e.getCause().getMessage().contains("s3cr3t"), e.getCause().getMessage());
  }

  @Test
  @DisplayName("fails to start when allowedVerticles names a class that is not on the classpath")
  void unknownAllowedClass() {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(vertx.deployVerticle(
      ServiceHost.class.getName(), new DeploymentOptions().setConfig(new JsonObject().put("services", new JsonArray())
        .put("allowedVerticles", new JsonArray().add("io.switchboard.demo.EchoServce"))))));
    assertEquals("service host config: \"allowedVerticles\" must name classes on the classpath, got "
      + "\"io.switchboard.demo.EchoServce\"", e.getCause().getMessage());
  }

  private ReplyException refusal(String host, JsonObject command) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(vertx.eventBus().request(host, command,
      new DeliveryOptions().addHeader(Headers.OP, Op.DEPLOY.wire()))));
    assertTrue(e.getCause() instanceof ReplyException, String.valueOf(e.getCause()));
    return (ReplyException) e.getCause();
  }
}
