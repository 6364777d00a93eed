package io.fedtune.launcher.demo;

/** What the user gave the demo (an option, a model directory, a data file) is unusable; exit status 2. */
public final class DemoInputException extends DemoException {

    public DemoInputException(String message) {
        super(message);
    }
}
