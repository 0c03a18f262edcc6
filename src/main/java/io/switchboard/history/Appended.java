package io.switchboard.history;

/** Where an append landed: the position of its first message, and the stream's epoch. */
public record Appended(long position, String epoch) {
}
