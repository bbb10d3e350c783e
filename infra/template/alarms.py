"""Alarms (dead-letter queues, stalled uploads, 5xx rate, throttles, worker errors, the indexer's
iterator age) to an SNS topic; every function's throttles, every dead-letter queue's depth and
every stream consumer's iterator age, also of those added later."""
from __future__ import annotations

from typing import Any

from infra.template.cfn import getatt, ref
from infra.template.dashboard import dead_letter_queues, lambda_functions, stream_consumers
from infra.template.settings import API_STAGE, APP
from infra.template.stack import Stack


def alarm(t: Stack, logical_id: str, description: str, threshold: float, **metric: Any) -> None:
    props = {
        "AlarmDescription": f"{APP} {t.stage}: {description} "
                            "(docs/operations.md, 'Alarms')",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": threshold,
        "EvaluationPeriods": metric.pop("periods", 1),
        "DatapointsToAlarm": metric.pop("datapoints", 1),
        "TreatMissingData": "notBreaching",
        "AlarmActions": [ref("AlarmTopic")],
        "OKActions": [ref("AlarmTopic")],
        **metric,
    }
    t.add(logical_id, "AWS::CloudWatch::Alarm", props)


def alarms(t: Stack) -> None:
    t.add("AlarmTopic", "AWS::SNS::Topic", {"DisplayName": f"{APP} {t.stage} alarms"})
    t.add("AlarmEmailSubscription", "AWS::SNS::Subscription", {
        "TopicArn": ref("AlarmTopic"), "Protocol": "email", "Endpoint": ref("AlarmEmail")},
        Condition="HasAlarmEmail")
    dlq, queue = t.d.dead_letter_queue, t.d.upload_queue
    alarm(t, "DeadLetterQueueAlarm",
          "resume uploads failed every retry and wait in the dead-letter queue", 0,
          Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
          Dimensions=[{"Name": "QueueName", "Value": getatt(dlq.logical_id,
                                                            "QueueName")}],
          Statistic="Maximum", Period=300)
    alarm(t, "UploadQueueStalledAlarm",
          "resume uploads wait in the upload queue for too long",
          t.s.alarm_upload_age_s,
          Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage",
          Dimensions=[{"Name": "QueueName", "Value": getatt(queue.logical_id,
                                                            "QueueName")}],
          Statistic="Maximum", Period=300, periods=2, datapoints=2)
    api_dims = [{"Name": "ApiName", "Value": t.api_name},
                {"Name": "Stage", "Value": API_STAGE}]
    alarm(t, "Api5xxRateAlarm",
          f"over {t.s.alarm_5xx_rate:.0%} of API requests answered 5xx",
          t.s.alarm_5xx_rate, periods=2, datapoints=2, Metrics=[
              {"Id": "rate", "ReturnData": True, "Label": "5xx share",
               "Expression": f"IF(requests >= {t.s.alarm_5xx_min_requests}, "
                             "errors / requests, 0)"},
              _metric("errors", "AWS/ApiGateway", "5XXError", api_dims, "Sum"),
              _metric("requests", "AWS/ApiGateway", "Count", api_dims, "Sum")])
    # Every function of the template (a new one included); an alarm's math takes 10 metrics.
    functions = lambda_functions(t)
    if len(functions) > 10:
        raise RuntimeError("LambdaThrottlesAlarm: split it, an alarm takes at most 10 metrics")
    fn_metrics = [_metric(f"f{i}", "AWS/Lambda", "Throttles",
                          [{"Name": "FunctionName", "Value": ref(name)}], "Sum")
                  for i, name in enumerate(functions)]
    alarm(t, "LambdaThrottlesAlarm",
          "Lambda throttled invocations (account concurrency exhausted)", 0, Metrics=[
              {"Id": "throttles", "ReturnData": True, "Label": "throttles",
               "Expression": "SUM(METRICS())"}, *fn_metrics])
    table_dims = [{"Name": "TableName", "Value": ref(t.d.table.logical_id)}]
    alarm(t, "TableThrottlesAlarm", "DynamoDB throttled reads or writes", 0, Metrics=[
          {"Id": "throttles", "ReturnData": True, "Label": "throttle events",
           "Expression": "reads + writes"},
          _metric("reads", "AWS/DynamoDB", "ReadThrottleEvents", table_dims, "Sum"),
          _metric("writes", "AWS/DynamoDB", "WriteThrottleEvents", table_dims, "Sum")])
    alarm(t, "ResumeWorkerErrorsAlarm",
          "resume worker invocations failed as a whole (timeout, crash)", 0,
          Namespace="AWS/Lambda", MetricName="Errors",
          Dimensions=[{"Name": "FunctionName", "Value": ref(t.f.sqs_function)}],
          Statistic="Sum", Period=300)
    # IteratorAge is in milliseconds: the age of a batch's last record when Lambda read it.
    alarm(t, "SearchIndexerIteratorAgeAlarm",
          "the search indexer falls behind the professionals table's changes",
          t.s.alarm_iterator_age_s * 1000,
          Namespace="AWS/Lambda", MetricName="IteratorAge",
          Dimensions=[{"Name": "FunctionName", "Value": ref(t.f.stream_function)}],
          Statistic="Maximum", Period=300)
    alarm(t, "MailDeadLetterQueueAlarm",
          "mail that failed every delivery (SES down or refusing) waits in its "
          "dead-letter queue", 0,
          Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
          Dimensions=[{"Name": "QueueName", "Value": getatt(
              t.d.mail_dead_letter_queue.logical_id, "QueueName")}],
          Statistic="Maximum", Period=300)
    alarm(t, "ImportDeadLetterQueueAlarm",
          "import job messages failed every retry (the job stays running; docs/api.md, "
          "'Import jobs')", 0,
          Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
          Dimensions=[{"Name": "QueueName", "Value": getatt(
              t.d.import_dead_letter_queue.logical_id, "QueueName")}],
          Statistic="Maximum", Period=300)
    alarm(t, "SearchIndexDeadLetterQueueAlarm",
          "changes the search indexer gave up on wait in its dead-letter queue", 0,
          Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
          Dimensions=[{"Name": "QueueName", "Value": getatt(
              t.d.index_dead_letter_queue.logical_id, "QueueName")}],
          Statistic="Maximum", Period=300)
    alarm(t, "EmbedDeadLetterQueueAlarm",
          "professionals whose resume vectors could not be synced (S3 Vectors refusing, the "
          "model failing) wait in the embed dead-letter queue; semantic search misses them "
          "until replayed", 0,
          Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
          Dimensions=[{"Name": "QueueName", "Value": getatt(
              t.d.embed_dead_letter_queue.logical_id, "QueueName")}],
          Statistic="Maximum", Period=300)
    others(t)


def others(t: Stack) -> None:
    """The same two alarms for the dead-letter queues and stream consumers named above by none
    (a new one gets them without an edit here; docs/operations.md, 'Alarms')."""
    watched = {dim["Value"]["Fn::GetAtt"][0] if "Fn::GetAtt" in dim["Value"]
               else dim["Value"]["Ref"]
               for alarm_ in t.resources.values() if alarm_.get("Type") == "AWS::CloudWatch::Alarm"
               for dim in alarm_["Properties"].get("Dimensions", [])}
    for queue in sorted(dead_letter_queues(t) - watched):
        alarm(t, f"{queue}Alarm", f"messages that failed every retry wait in {queue}", 0,
              Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
              Dimensions=[{"Name": "QueueName", "Value": getatt(queue, "QueueName")}],
              Statistic="Maximum", Period=300)
    for function in sorted(set(stream_consumers(t)) - watched):
        alarm(t, f"{function}IteratorAgeAlarm",
              f"{function} falls behind the changes of the stream it reads",
              t.s.alarm_iterator_age_s * 1000,
              Namespace="AWS/Lambda", MetricName="IteratorAge",
              Dimensions=[{"Name": "FunctionName", "Value": ref(function)}],
              Statistic="Maximum", Period=300)


def _metric(metric_id: str, namespace: str, name: str, dimensions: list[dict[str, Any]],
            stat: str) -> dict[str, Any]:
    return {"Id": metric_id, "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
        "Period": 300, "Stat": stat}}
