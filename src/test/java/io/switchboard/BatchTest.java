package io.switchboard;

import io.switchboard.protocol.Batch;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("A batch of session messages")
class BatchTest {

  @Test
  @DisplayName("reads back every record, in order, with its op, session and payload")
  void roundTrip() {
    Buffer batch = Buffer.buffer();
    Batch.append(batch, Batch.TEXT, "n1.0", "héllo ✓");
    Batch.append(batch, Batch.BINARY, "n1.1", Buffer.buffer(new byte[]{0, (byte) 255, 7}));
    Batch.appendClose(batch, "n1.2", 4001, "bye now");
    Batch.append(batch, Batch.JOIN, "n1.0", "chat/room:lobby");
    Batch.append(batch, Batch.TEXT, "n1.3", "");
    List<String> read = new ArrayList<>();
    Batch.read(batch, (op, sid, payload) -> read.add(op + " " + sid + " " + (op == Batch.CLOSE
      ? Batch.closeCode(payload) + ":" + Batch.closeReason(payload)
      : op == Batch.BINARY ? payload.getByte(1) + "/" + payload.length() : payload.toString())));
    assertEquals(List.of("1 n1.0 héllo ✓", "2 n1.1 -1/3", "3 n1.2 4001:bye now", "4 n1.0 chat/room:lobby", "1 n1.3 "), read);
  }
}
