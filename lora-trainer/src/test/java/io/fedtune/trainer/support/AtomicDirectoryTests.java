package io.fedtune.trainer.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicDirectoryTests {

    @Test
    void aCrashBetweenTheTwoRenamesLeavesTheOldCopyWhichRecoverPutsBack(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("checkpoint");
        AtomicDirectory.replace(target, dir -> Files.writeString(dir.resolve("state.json"), "step 10"));
        // what a kill between "old aside" and "new in place" leaves behind
        Files.move(target, tmp.resolve(".checkpoint.old-1234abcd"));

        AtomicDirectory.recover(target);

        assertThat(target.resolve("state.json")).hasContent("step 10");
        assertThat(tmp.resolve(".checkpoint.old-1234abcd")).doesNotExist();
    }

    @Test
    void recoverLeavesAnExistingDirectoryAndAMissingOneAlone(@TempDir Path tmp) throws Exception {
        Path target = tmp.resolve("checkpoint");
        AtomicDirectory.recover(target);
        assertThat(target).doesNotExist();

        AtomicDirectory.replace(target, dir -> Files.writeString(dir.resolve("state.json"), "step 20"));
        AtomicDirectory.recover(target);
        assertThat(target.resolve("state.json")).hasContent("step 20");
    }
}
