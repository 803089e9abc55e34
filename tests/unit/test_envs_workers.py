"""services.envs._workers: threads only when judging the first envs waited for the disk."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from corral.services.envs import _blocks_read, _workers


def test_slow_judging_that_read_from_the_disk_gets_threads() -> None:
    with _workers(1.0, 50, 8) as workers:
        assert isinstance(workers, ThreadPoolExecutor)


def test_slow_judging_that_read_nothing_waited_for_the_cpu_and_stays_in_one_thread() -> None:
    with _workers(1.0, 50, 0) as workers:
        assert not isinstance(workers, ThreadPoolExecutor)
        assert workers.submit(sum, [1, 2]).result() == 3


def test_without_a_block_count_the_time_alone_decides() -> None:
    with _workers(1.0, 50, None) as workers:
        assert isinstance(workers, ThreadPoolExecutor)
    with _workers(0.001, 50, None) as workers:
        assert not isinstance(workers, ThreadPoolExecutor)


def test_blocks_read_counts_up() -> None:
    before = _blocks_read()
    assert before is not None  # POSIX: getrusage counts them
    after = _blocks_read()
    assert after is not None
    assert after >= before
