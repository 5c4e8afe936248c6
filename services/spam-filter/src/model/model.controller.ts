import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ModelService } from './model.service';

/** Operators: load a newer model file without a restart (no @Roles = operators only). */
@ApiTags('spam model')
@Controller('v1/spam/model')
export class ModelController {
  constructor(private readonly models: ModelService) {}

  @Post('reload')
  @HttpCode(200)
  reload(): { version: string; tenants: number } {
    return this.models.reload();
  }
}
