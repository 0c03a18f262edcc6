package io.switchboard.gateway.impl;

import io.vertx.core.buffer.Buffer;

/**
 * A text frame's payload already in UTF-8: written to each socket as it is, so a text push that
 * came in a batch is not decoded to a String and encoded again, and a group message is encoded
 * once for all its members (see {@link VertxInternals#writeText}). The bytes are never changed.
 */
record EncodedText(Buffer utf8) {

  static EncodedText of(String text) {
    return new EncodedText(Buffer.buffer(text));
  }
}
