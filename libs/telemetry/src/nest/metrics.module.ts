import { Controller, Get, Header, Module } from '@nestjs/common';
import { METRICS_CONTENT_TYPE, metricsText } from '../metrics';

@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return metricsText();
  }
}

/** `GET /metrics` in the Prometheus text format, from this process's registry. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
