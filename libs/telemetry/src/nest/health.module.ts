import {
  Controller,
  Get,
  HttpCode,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
} from '@nestjs/common';
import { checkReadiness, liveness, type HealthChecks, type ReadinessReport } from '../health';

const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

@Injectable()
export class HealthService {
  private readonly checks: HealthChecks;

  constructor(@Inject(HEALTH_CHECKS) checks: HealthChecks) {
    this.checks = { ...checks };
  }

  /** Adds (or replaces) a readiness check once the app exists, for checks that need its providers. */
  register(name: string, check: () => Promise<void>): void {
    this.checks[name] = check;
  }

  /** The report when every check passed; otherwise a 503 whose body names the failed checks. */
  async readiness(): Promise<ReadinessReport> {
    const report = await checkReadiness(this.checks);
    if (report.status !== 'ok') throw new HttpException(report, HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}

@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return liveness();
  }

  @Get('readyz')
  @HttpCode(200)
  readyz() {
    return this.health.readiness();
  }
}

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (every check passes, else 503 naming the failed
 * ones). Keep these routes out of any global prefix: `app.setGlobalPrefix('api', { exclude: ['healthz', 'readyz', 'metrics'] })`.
 */
@Module({})
export class HealthModule {
  static forRoot(checks: HealthChecks = {}): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [{ provide: HEALTH_CHECKS, useValue: checks }, HealthService],
    };
  }
}
