package io.switchboard;

import io.switchboard.bridge.TcpBridgeOptions;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.testing.JvmProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Python SDK spells the protocol itself (it cannot import {@code io.switchboard.protocol}):
 * this keeps its names equal to the Java ones, so a renamed address or header fails here, not
 * silently on the bus.
 */
@DisplayName("The Python SDK's protocol names")
class PythonSdkContractTest {

  private static final String DUMP = String.join("\n",
    "import json, switchboard as s",
    "print(json.dumps({",
    "  'service': s.service_address('x'), 'instance': s.instance_address('x', 'i'), 'group': s.qualified_group('x', 'g'),",
    "  'presence': s.presence_address('x'), 'presenceOps': [s.OP_PRESENCE, s.OP_SYNC], 'svc': s.H_SERVICE,",
    "  'registry': s.REGISTRY, 'hello': s.REGISTRY_HELLO, 'groups': s.GROUPS,",
    "  'headers': [s.H_OP, s.H_SESSION, s.H_GATEWAY, s.H_INSTANCE, s.H_CODE, s.H_REASON, s.H_GROUP, s.H_EXCEPT, s.H_REBIND, s.H_SEQ, s.H_RESUME],",
    "  'token': s.H_TOKEN, 'ops': [s.OP_OPEN, s.OP_TEXT, s.OP_BINARY, s.OP_CLOSE, s.OP_JOIN, s.OP_LEAVE, s.OP_ATTR, s.OP_EXPIRED, s.OP_TEXT_SEQ],",
    "  'codes': [s.NORMAL, s.INTERNAL_ERROR, s.SERVICE_RESTART],",
    "  'tokenFile': s.token_file(7000),",
    "  'bridge': [s.DEFAULT_BRIDGE_HOST, s.DEFAULT_BRIDGE_PORT, s.ENV_HOST, s.ENV_PORT, s.ENV_TOKEN, s.ENV_TOKEN_FILE, s.TOKEN_FOLDER]}))");

  @Test
  @DisplayName("are the Java protocol's addresses, headers, ops, close codes and bridge settings")
  void sameNames() {
    JvmProcess python = JvmProcess.start("python-contract", List.of(PythonServiceTest.PYTHON, "-c", DUMP),
      Map.of("PYTHONPATH", "src/main/python"));
    assertEquals(0, python.awaitExit(60_000), python.output());
    JsonObject py = new JsonObject(python.output().lines().reduce((a, b) -> b).orElse("{}"));

    assertEquals(Addresses.service("x"), py.getString("service"));
    assertEquals(Addresses.serviceInstance("x", "i"), py.getString("instance"));
    assertEquals(Addresses.group("x", "g"), py.getString("group"));
    assertEquals(Addresses.presence("x"), py.getString("presence"));
    assertEquals(List.of(Op.PRESENCE.wire(), Op.SYNC.wire()), py.getJsonArray("presenceOps").getList());
    assertEquals(Headers.SERVICE, py.getString("svc"));
    assertEquals(Addresses.REGISTRY, py.getString("registry"));
    assertEquals(Addresses.REGISTRY_HELLO, py.getString("hello"));
    assertEquals(Addresses.GROUPS, py.getString("groups"));
    assertEquals(List.of(Headers.OP, Headers.SESSION, Headers.GATEWAY, Headers.INSTANCE, Headers.CODE, Headers.REASON,
      Headers.GROUP, Headers.EXCEPT, Headers.REBIND, Headers.SEQ, Headers.RESUME), py.getJsonArray("headers").getList());
    assertEquals(TcpBridgeOptions.TOKEN_HEADER, py.getString("token"));
    // the open and every session message of the op table: a new one fails here until the Python SDK has it
    assertEquals(java.util.Arrays.stream(Op.values()).filter(op -> op == Op.OPEN || op.isSessionMessage()).map(Op::wire)
      .toList(), py.getJsonArray("ops").getList());
    assertEquals(List.of((int) CloseCodes.NORMAL, (int) CloseCodes.INTERNAL_ERROR, (int) CloseCodes.SERVICE_RESTART),
      py.getJsonArray("codes").getList());
    assertEquals(List.of(TcpBridgeOptions.DEFAULT_HOST, TcpBridgeOptions.DEFAULT_PORT, TcpBridgeOptions.ENV_HOST,
      TcpBridgeOptions.ENV_PORT, TcpBridgeOptions.ENV_TOKEN, TcpBridgeOptions.ENV_TOKEN_FILE, TcpBridgeOptions.TOKEN_FOLDER),
      py.getJsonArray("bridge").getList());
    assertEquals(TcpBridgeOptions.defaultTokenFile(7000).toString(), py.getString("tokenFile"),
      "the SDK looks for the tokens where the bridge writes them");
  }
}
