# A celery app standing in for yours, with the filesystem broker so that it needs no
# server (use your redis:// or amqp:// URL instead). `slow` takes N seconds, to show what
# happens to a task in flight.
import os
import time

from celery import Celery

BROKER_DIR = os.environ.get("BROKER_DIR", "/tmp/broker")
for sub in ("queue", "processed"):
    os.makedirs(os.path.join(BROKER_DIR, sub), exist_ok=True)

app = Celery("tasks", broker="filesystem://")
app.conf.broker_transport_options = {
    "data_folder_in": os.path.join(BROKER_DIR, "queue"),
    "data_folder_out": os.path.join(BROKER_DIR, "queue"),
    "data_folder_processed": os.path.join(BROKER_DIR, "processed"),
}


@app.task
def slow(seconds):
    print(f"slow task started in pool process {os.getpid()}", flush=True)
    time.sleep(seconds)
    return "slow task done"
