package io.switchboard.host;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.switchboard.config.ConfigException;
import io.switchboard.config.ConfigReader;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.registry.Announce;
import io.switchboard.registry.Announcer;
import io.switchboard.service.ServiceVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A services JVM's host: runs the services {@code conf/services.json} lists, and deploys or
 * undeploys more at run time when the gateway's admin API asks ({@code POST /admin/deployments}).
 *
 * <pre>{@code
 * { "services": [
 *     { "verticle": "io.switchboard.demo.ChatService", "conf": "conf/chat.json", "instances": 1 },
 *     { "verticle": "io.switchboard.demo.EchoService", "config": { "name": "echo" } } ] }
 * }</pre>
 *
 * Each entry names a verticle class and its config, either inline ({@code config}) or as a file
 * ({@code conf}, relative to the working directory). The host is ready when all are deployed;
 * if one fails, the host fails with that entry's error. {@code "services": []} makes a host that
 * only waits for deployments.
 *
 * <p>Deployments asked at run time take an inline {@code config} only (never a file) and are
 * limited to {@code allowedVerticles}: classes that are, or extend, one of the listed classes
 * (default {@link #DEFAULT_ALLOWED_VERTICLES}: every {@link ServiceVerticle}). Source files,
 * {@code prefix:} factory names, and the gateway, TCP bridge or service host classes (unless
 * listed by exact name) are refused with {@link #FAILURE_FORBIDDEN}. The entries of
 * {@code services} are the operator's own and are not checked.
 *
 * <pre>launcher/vertx run io.switchboard.host.ServiceHost -conf conf/services.json -cluster</pre>
 */
public class ServiceHost extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(ServiceHost.class.getName());
  /** Failure code of a deploy command the host refuses: the admin API answers it as 400. */
  public static final int FAILURE_BAD_REQUEST = 400;
  /** Failure code of a deploy the host's {@code allowedVerticles} do not allow: the admin API answers 403. */
  public static final int FAILURE_FORBIDDEN = 403;
  /** The verticles a host deploys at run time unless its config says otherwise: any Switchboard service. */
  public static final List<String> DEFAULT_ALLOWED_VERTICLES = List.of(ServiceVerticle.class.getName());
  /** Failure code of an undeploy for an unknown deployment: the admin API answers it as 404. */
  public static final int FAILURE_NOT_FOUND = 404;

  private final Map<String, JsonObject> deployments = new LinkedHashMap<>();
  private Announcer announcer;
  private DeployPolicy policy;

  @Override
  public Future<?> start() {
    List<Future<String>> initial = new ArrayList<>();
    try {
      ConfigReader conf = new ConfigReader("service host config", config(), System.getenv());
      JsonArray services = conf.array("services");
      List<String> allowed = conf.strings("allowedVerticles", DEFAULT_ALLOWED_VERTICLES);
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      for (String name : allowed) {
        if (!DeployPolicy.isClass(name, loader)) {
          throw conf.fail("allowedVerticles", "must name classes on the classpath", name);
        }
      }
      policy = new DeployPolicy(allowed, loader);
      conf.rejectUnknownKeys();
      for (int i = 0; i < services.size(); i++) {
        if (!(services.getValue(i) instanceof JsonObject)) {
          throw new ConfigException("service host config: \"services\"[" + i + "] must be a JSON object");
        }
        initial.add(deploy(new ConfigReader("service host config \"services\"[" + i + "]",
          services.getJsonObject(i), System.getenv()), true));
      }
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    String address = Addresses.host(UUID.randomUUID().toString().substring(0, 8));
    MessageConsumer<JsonObject> commands = vertx.eventBus().consumer(address, this::onCommand);
    announcer = new Announcer(vertx, Announce.DEFAULT_HEARTBEAT_MS, () -> Announce.of(Announce.ROLE_HOST, address,
      Announce.DEFAULT_HEARTBEAT_MS).put(Announce.DEPLOYMENTS, new JsonArray(new ArrayList<>(deployments.values()))));
    return Future.all(initial)
      .compose(v -> commands.completion())
      .compose(v -> announcer.start())
      .onSuccess(v -> LOG.log(System.Logger.Level.INFO, "Service host deployed " + initial.size()
        + " service(s); accepting deployments at " + address));
  }

  @Override
  public Future<?> stop() {
    return announcer == null ? Future.succeededFuture() : announcer.stop();
  }

  private void onCommand(Message<JsonObject> msg) {
    Op op = Op.of(msg.headers().get(Headers.OP));
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    if (op == Op.DEPLOY) {
      Future<String> deployed;
      try {
        ConfigReader command = new ConfigReader("deployment", body, System.getenv());
        DeployPolicy.Refusal refusal = policy.check(command.requiredString("verticle"));
        if (refusal != null) {
          LOG.log(System.Logger.Level.WARNING, "Refused a deployment: " + refusal.reason());
          msg.fail(refusal.code(), refusal.reason());
          return;
        }
        deployed = deploy(command, false);
      } catch (IllegalArgumentException e) {
        msg.fail(FAILURE_BAD_REQUEST, e.getMessage());
        return;
      }
      deployed.onSuccess(id -> msg.reply(deployments.get(id)))
        .onFailure(err -> msg.fail(FAILURE_BAD_REQUEST, err.getMessage()));
    } else if (op == Op.UNDEPLOY) {
      String id = body.getString("id");
      if (id == null || !deployments.containsKey(id)) {
        msg.fail(FAILURE_NOT_FOUND, "no deployment " + msg.address().substring(Addresses.host("").length()) + ":" + id);
        return;
      }
      vertx.undeploy(id)
        .onSuccess(v -> {
          JsonObject gone = deployments.remove(id);
          LOG.log(System.Logger.Level.INFO, "Undeployed " + gone.getString("verticle") + " (" + id + ")");
          announcer.publish();
          msg.reply(gone);
        })
        .onFailure(err -> msg.fail(500, err.getMessage()));
    } else {
      msg.fail(FAILURE_BAD_REQUEST, "unknown host command " + msg.headers().get(Headers.OP));
    }
  }

  /** Deploys one entry; {@code fromFile}: its config may be a {@code conf} file (the host's own entries only). */
  private Future<String> deploy(ConfigReader entry, boolean fromFile) {
    String verticle = entry.requiredString("verticle");
    String file = fromFile ? entry.string("conf", null) : null;
    JsonObject inline = entry.object("config");
    int instances = entry.integer("instances", 1, 1, 256);
    entry.rejectUnknownKeys();
    Future<JsonObject> config = file == null ? Future.succeededFuture(inline) : readJson(file);
    return config
      .compose(c -> vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(c).setInstances(instances)))
      .recover(err -> Future.failedFuture(new IllegalStateException(verticle + ": " + describe(err), err)))
      .onSuccess(id -> {
        deployments.put(id, new JsonObject().put("id", id).put("verticle", verticle).put("instances", instances));
        LOG.log(System.Logger.Level.INFO, "Deployed " + verticle + " x" + instances + " (" + id + ")");
        if (announcer != null) {
          announcer.publish();
        }
      });
  }

  private static String describe(Throwable err) {
    if (err instanceof ClassNotFoundException) {
      return "no such verticle class";
    }
    return err.getMessage() != null ? err.getMessage() : err.toString();
  }

  /** Reads a config file. Its errors name the file and the kind of problem, never its content. */
  private Future<JsonObject> readJson(String file) {
    return vertx.fileSystem().readFile(file)
      .recover(err -> Future.failedFuture(new ConfigException("cannot read " + file + " ("
        + (err.getCause() != null ? err.getCause() : err).getClass().getSimpleName() + ")")))
      .map(buffer -> {
        try {
          return new JsonObject(buffer);
        } catch (DecodeException | ClassCastException e) {
          throw new ConfigException(file + " is not a JSON object" + location(e));
        }
      });
  }

  /** Where a JSON parse failed ({@code " (line 3, column 7)"}), without the text found there. */
  private static String location(Exception e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof JsonProcessingException && ((JsonProcessingException) c).getLocation() != null) {
        JsonLocation at = ((JsonProcessingException) c).getLocation();
        return " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
      }
    }
    return "";
  }
}
