package io.switchboard.service;

import io.switchboard.config.ConfigException;
import io.switchboard.config.ConfigReader;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs several services in one JVM, as {@code conf/services.json} lists them:
 *
 * <pre>{@code
 * { "services": [
 *     { "verticle": "io.switchboard.demo.ChatService", "conf": "conf/chat.json", "instances": 1 },
 *     { "verticle": "io.switchboard.demo.EchoService", "config": { "name": "echo" } } ] }
 * }</pre>
 *
 * Each entry names a verticle class and its config, either inline ({@code config}) or as a file
 * ({@code conf}, relative to the working directory). The host is ready when all are deployed;
 * if one fails, the host fails with that entry's error.
 *
 * <pre>launcher/vertx run io.switchboard.service.ServiceHost -conf conf/services.json -cluster</pre>
 */
public class ServiceHost extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(ServiceHost.class.getName());

  @Override
  public Future<?> start() {
    List<Future<String>> deployments = new ArrayList<>();
    try {
      ConfigReader conf = new ConfigReader("service host config", config(), System.getenv());
      JsonArray services = conf.array("services");
      conf.rejectUnknownKeys();
      for (int i = 0; i < services.size(); i++) {
        if (!(services.getValue(i) instanceof JsonObject)) {
          throw new ConfigException("service host config: \"services\"[" + i + "] must be a JSON object");
        }
        deployments.add(deploy(new ConfigReader("service host config \"services\"[" + i + "]",
          services.getJsonObject(i), System.getenv())));
      }
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return Future.all(deployments).onSuccess(v ->
      LOG.log(System.Logger.Level.INFO, "Service host deployed " + deployments.size() + " service(s)"));
  }

  private Future<String> deploy(ConfigReader entry) {
    String verticle = entry.requiredString("verticle");
    String file = entry.string("conf", null);
    JsonObject inline = entry.object("config");
    int instances = entry.integer("instances", 1, 1, 256);
    entry.rejectUnknownKeys();
    Future<JsonObject> config = file == null ? Future.succeededFuture(inline) : readJson(file);
    return config.compose(c -> vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(c).setInstances(instances)))
      .recover(err -> Future.failedFuture(new IllegalStateException(verticle + ": " + err.getMessage(), err)));
  }

  private Future<JsonObject> readJson(String file) {
    return vertx.fileSystem().readFile(file)
      .recover(err -> Future.failedFuture(new ConfigException("cannot read " + file + ": " + err.getMessage())))
      .map(buffer -> {
        try {
          return new JsonObject(buffer);
        } catch (DecodeException | ClassCastException e) {
          throw new ConfigException(file + " is not a JSON object: " + e.getMessage());
        }
      });
  }
}
