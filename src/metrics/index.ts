export { MetricName, type MetricNameValue, type Sample, type SampleSink } from './sample.js';
